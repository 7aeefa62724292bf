/**
 * POP3 backend login (nginx-auth-http.md §3.3): USER, then PASS, each answered `+OK`; the last
 * `+OK` goes to the client. The login and password go raw on a command line, so a CR or LF in
 * either (possible through SASL base64) is refused before anything is sent: it would inject a
 * command (§3.3).
 */
import { CRLF, hasLineBreak, refused, startsWithWord, type BackendDialogue } from './types.js';

export function pop3BackendLogin(login: { user: Buffer; pass: Buffer }): BackendDialogue {
  const { user, pass } = login;
  let state: 'greeting' | 'user' | 'pass' = 'greeting';
  const unsafe = hasLineBreak(user) || hasLineBreak(pass);
  return {
    onLine(line) {
      if (!startsWithWord(line, '+OK')) {
        const what = state === 'greeting' ? 'the backend greeting is not "+OK"' : state === 'user' ? 'the backend refused USER' : 'the backend refused the login';
        return refused(line, what);
      }
      if (state === 'greeting') {
        if (unsafe) return refused('', 'the login or password holds a line break; it cannot be sent to a POP3 backend');
        state = 'user';
        return { kind: 'send', bytes: Buffer.concat([Buffer.from('USER '), user, Buffer.from(CRLF)]) };
      }
      if (state === 'user') {
        state = 'pass';
        return { kind: 'send', bytes: Buffer.concat([Buffer.from('PASS '), pass, Buffer.from(CRLF)]) };
      }
      return { kind: 'done', toClient: Buffer.concat([line, Buffer.from(CRLF)]) };
    },
  };
}
