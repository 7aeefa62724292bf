/**
 * STARTTLS to a backend, before its login dialogue (Postern's addition: nginx has no TLS to
 * backends, nginx-auth-http.md §3.1). Pure, over the backend's lines like the dialogues:
 *   IMAP:  greeting `* OK`      → `. STARTTLS` → `. OK`
 *   POP3:  greeting `+OK`       → `STLS`       → `+OK`
 *   SMTP:  greeting `220`       → `EHLO name`  → `250` → `STARTTLS` → `220`
 * Once TLS is up, the login dialogue is fed the greeting lines kept from the start, as if the
 * backend had just connected: the dialogues expect a greeting first, and a server sends none
 * after STARTTLS (RFC 3501 §6.2.1, RFC 2595 §4, RFC 3207 §4.2). So an IMAP dialogue sees the
 * pre-TLS greeting's capabilities (only LITERAL+ matters to it) and the SMTP dialogue sends
 * its EHLO again, over TLS, as RFC 3207 requires.
 */
import type { ListenerProtocol } from '../../config/mail-proxy.js';
import { startsWithWord } from '../backend/types.js';

export type StarttlsStep =
  | { kind: 'send'; bytes: Buffer }
  | { kind: 'more' }
  /** Start the TLS handshake now; then feed `greeting` to the login dialogue. */
  | { kind: 'handshake'; greeting: Buffer[] }
  | { kind: 'refused'; line: string; detail: string };

export interface StarttlsDialogue {
  onLine(line: Buffer): StarttlsStep;
}

/** SMTP replies of more lines than this are not a real server's. */
const MAX_REPLY_LINES = 256;

export function backendStarttls(protocol: ListenerProtocol, serverName: string): StarttlsDialogue {
  const greeting: Buffer[] = [];
  const send = (text: string): StarttlsStep => ({ kind: 'send', bytes: Buffer.from(`${text}\r\n`, 'latin1') });
  const refused = (line: Buffer, detail: string): StarttlsStep => ({ kind: 'refused', line: line.toString('latin1'), detail });

  if (protocol === 'imap') {
    let state: 'greeting' | 'reply' = 'greeting';
    return {
      onLine(line) {
        if (state === 'greeting') {
          if (!startsWithWord(line, '* OK')) return refused(line, 'the backend greeting is not "* OK"');
          greeting.push(Buffer.from(line));
          state = 'reply';
          return send('. STARTTLS');
        }
        if (startsWithWord(line, '* ')) return { kind: 'more' };
        return startsWithWord(line, '. OK') ? { kind: 'handshake', greeting } : refused(line, 'the backend refused STARTTLS');
      },
    };
  }

  if (protocol === 'pop3') {
    let state: 'greeting' | 'reply' = 'greeting';
    return {
      onLine(line) {
        if (!startsWithWord(line, '+OK')) return refused(line, state === 'greeting' ? 'the backend greeting is not "+OK"' : 'the backend refused STLS');
        if (state === 'reply') return { kind: 'handshake', greeting };
        greeting.push(Buffer.from(line));
        state = 'reply';
        return send('STLS');
      },
    };
  }

  // SMTP, submission or inbound: replies are `NNN-…` lines ending with `NNN …` (RFC 5321 §4.2.1).
  let state: 'greeting' | 'ehlo' | 'starttls' = 'greeting';
  let lines = 0;
  return {
    onLine(line) {
      const text = line.toString('latin1');
      if (!/^\d{3}([ -]|$)/.test(text)) return refused(line, 'the backend sent a line that is not an SMTP reply');
      if (state === 'greeting') greeting.push(Buffer.from(line));
      if (text[3] === '-') return ++lines > MAX_REPLY_LINES ? refused(line, 'the backend reply has too many lines') : { kind: 'more' };
      lines = 0;
      const code = text.slice(0, 3);
      switch (state) {
        case 'greeting':
          if (code !== '220') return refused(line, 'the backend greeting is not 220');
          state = 'ehlo';
          return send(`EHLO ${serverName}`);
        case 'ehlo':
          if (code !== '250') return refused(line, 'the backend refused EHLO');
          state = 'starttls';
          return send('STARTTLS');
        case 'starttls':
          return code === '220' ? { kind: 'handshake', greeting } : refused(line, 'the backend refused STARTTLS');
      }
    },
  };
}
