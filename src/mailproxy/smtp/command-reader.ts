/**
 * Reads SMTP commands from a client before login, as nginx 1.22's ngx_mail_smtp_parse_command
 * does (nginx-auth-http.md §4, §6.12): a command word of letters only, one of the twelve nginx
 * knows (case-insensitive: HELO EHLO QUIT AUTH NOOP MAIL RSET RCPT VRFY EXPN HELP STARTTLS), then
 * up to eleven arguments split at spaces; any other byte (TAB, NUL, 8-bit) is part of an argument.
 * A line ends at LF, with or without CR; a CR not followed by LF, an unknown word or a twelfth
 * argument make the line invalid, and it is skipped up to its LF.
 *
 * Pull-based: the session asks for one input at a time (`next`) and stops asking while an action
 * pauses input (auth, STARTTLS, ...), so pipelined commands wait in the buffer. After AUTH the
 * session reads the next line as a SASL response (`next('sasl')`): nginx then starts the line in
 * its argument state, so the response is the bytes up to the first space.
 */
import { lineReader, type LineInput, type LineReader } from '../line-reader.js';

export const SMTP_COMMANDS = ['HELO', 'EHLO', 'QUIT', 'AUTH', 'NOOP', 'MAIL', 'RSET', 'RCPT', 'VRFY', 'EXPN', 'HELP', 'STARTTLS'] as const;
export type SmtpCommandName = (typeof SMTP_COMMANDS)[number];

/**
 * A command's `line`: as typed, from its first byte to the end of its last argument (no trailing
 * spaces, no CRLF): nginx's `Auth-SMTP-From`/`-To` and the lines replayed to the backend for
 * `smtp_auth none` (§1.3, §3.4). A `response` comes with `next('sasl')` only.
 */
export type SmtpInput = LineInput<{ kind: 'command'; name: SmtpCommandName; args: Buffer[]; line: Buffer }>;

export type SmtpReadMode = 'command' | 'sasl';

/** nginx's smtp_client_buffer default (one page). */
export const DEFAULT_SMTP_BUFFER = 4096;
/** ngx_mail_smtp_parse_command starts another argument only while it holds at most ten. */
const MAX_ARGS = 11;

const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;

export type SmtpCommandReader = LineReader<SmtpInput, SmtpReadMode>;

/** `maxBytes` bounds one line, its CRLF included (../line-reader.ts). */
export function smtpCommandReader(maxBytes = DEFAULT_SMTP_BUFFER): SmtpCommandReader {
  return lineReader(maxBytes, parseLine);
}

/** ngx_mail_smtp_parse_command over one line that ends with its (first) LF. */
function parseLine(line: Buffer, mode: SmtpReadMode): SmtpInput {
  let state: 'command' | 'spaces' | 'argument' | 'almost-done' = mode === 'sasl' ? 'argument' : 'command';
  let name: SmtpCommandName | undefined;
  const args: Buffer[] = [];
  let argStart = 0;
  // End of the command word or of the last argument: where the verbatim `line` stops.
  let end = 0;

  const done = (): SmtpInput => {
    if (mode === 'sasl') return { kind: 'response', response: Buffer.from(args[0] ?? Buffer.alloc(0)) };
    return { kind: 'command', name: name as SmtpCommandName, args, line: Buffer.from(line.subarray(0, end)) };
  };

  for (let p = 0; p < line.length; p++) {
    const ch = line[p] as number;
    switch (state) {
      case 'command':
        if (ch === SP || ch === CR || ch === LF) {
          name = commandName(line.subarray(0, p));
          if (name === undefined) return { kind: 'invalid' };
          end = p;
          if (ch === LF) return done();
          state = ch === SP ? 'spaces' : 'almost-done';
        } else if (!isLetter(ch)) {
          return { kind: 'invalid' };
        }
        break;
      case 'spaces':
        if (ch === SP) break;
        if (ch === CR) state = 'almost-done';
        else if (ch === LF) return done();
        else if (args.length >= MAX_ARGS) return { kind: 'invalid' };
        else {
          state = 'argument';
          argStart = p;
        }
        break;
      case 'argument':
        if (ch === SP || ch === CR || ch === LF) {
          args.push(Buffer.from(line.subarray(argStart, p)));
          end = p;
          if (ch === LF) return done();
          state = ch === SP ? 'spaces' : 'almost-done';
        }
        break;
      case 'almost-done':
        return ch === LF ? done() : { kind: 'invalid' };
    }
  }
  // Unreachable: the line ends with LF, which every state acts on.
  return { kind: 'invalid' };
}

function commandName(word: Buffer): SmtpCommandName | undefined {
  const upper = word.toString('latin1').toUpperCase();
  return (SMTP_COMMANDS as readonly string[]).includes(upper) ? (upper as SmtpCommandName) : undefined;
}

function isLetter(ch: number): boolean {
  return (ch >= 0x41 && ch <= 0x5a) || (ch >= 0x61 && ch <= 0x7a);
}
