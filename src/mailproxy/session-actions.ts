/**
 * Action builders the three sessions share, and the two ways ngx_mail_read_command ends a session
 * (nginx-auth-http.md §4.1), which IMAP, POP3 and SMTP tell alike: the info line, the protocol's
 * invalid-command reply, then the close.
 */
import type { SessionAction } from './session.js';

/** Text is written as UTF-8 (configured strings keep the bytes of the config file, as nginx sends them). */
export const write = (text: string | Buffer): SessionAction => ({ kind: 'write', bytes: typeof text === 'string' ? Buffer.from(text, 'utf8') : text });
export const info = (message: string): SessionAction => ({ kind: 'log', level: 'info', message });
export const warn = (message: string): SessionAction => ({ kind: 'log', level: 'warn', message });
export const CLOSE: SessionAction = { kind: 'close' };

/**
 * A line that outgrew the client buffer: nginx logs it with its bytes, which may hold a password
 * or an AUTH PLAIN initial response, so Postern logs no bytes. Not counted in max_errors.
 */
export function tooLongCommand(invalidCommand: string | Buffer): SessionAction[] {
  return [info('client sent too long command'), write(invalidCommand), CLOSE];
}

/** The max_errors-th line the parser refused: its reply still goes out, then the close. */
export function tooManyInvalidCommands(invalidCommand: string | Buffer): SessionAction[] {
  return [info('client sent too many invalid commands'), write(invalidCommand), CLOSE];
}
