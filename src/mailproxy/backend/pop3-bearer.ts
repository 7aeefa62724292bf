/**
 * POP3 backend login with the client's bearer token (bearer.ts): `AUTH <MECH> <initial-response>`
 * (RFC 5034 §4), the client's mechanism; the final `+OK` goes to the client as USER/PASS's does
 * (pop3.ts). RFC 5034 §4 limits the AUTH command to 255 octets, so a longer response is sent
 * after the backend's empty `+ ` challenge instead. A refused token comes back as an error
 * challenge, which is answered; the backend's `-ERR` then ends the login.
 */
import { bearerResponse, ERROR_CHALLENGE_ANSWER, MECHANISM_NAME, type BearerCredentials } from './bearer.js';
import { CRLF, refused, startsWithWord, type BackendDialogue, type BackendStep } from './types.js';

/** RFC 5034 §4: the AUTH command with its initial response, CRLF included. */
const MAX_AUTH_COMMAND = 255;

export function pop3BackendBearer(login: BearerCredentials): BackendDialogue {
  let state: 'greeting' | 'continuation' | 'reply' | 'error-answered' = 'greeting';
  let response = '';
  const send = (text: string): BackendStep => ({ kind: 'send', bytes: Buffer.from(`${text}${CRLF}`, 'latin1') });
  const command = `AUTH ${MECHANISM_NAME[login.mechanism]}`;

  return {
    onLine(line) {
      const ok = startsWithWord(line, '+OK');
      // A continuation is `+` then a space and base64 (RFC 5034 §4); `+OK` is a reply.
      const challenge = !ok && line[0] === 0x2b;
      switch (state) {
        case 'greeting': {
          if (!ok) return refused(line, 'the backend greeting is not "+OK"');
          const built = bearerResponse(login.mechanism, login);
          if (!built.ok) return refused('', built.detail);
          const whole = `${command} ${built.base64}`;
          if (whole.length + CRLF.length <= MAX_AUTH_COMMAND) {
            state = 'reply';
            return send(whole);
          }
          response = built.base64;
          state = 'continuation';
          return send(command);
        }
        case 'continuation':
          if (!challenge) return refused(line, `the backend refused ${command}`);
          state = 'reply';
          return send(response);
        case 'reply':
          if (ok) return { kind: 'done', toClient: Buffer.concat([line, Buffer.from(CRLF)]) };
          if (!challenge) return refused(line, 'the backend refused the token');
          state = 'error-answered';
          return send(ERROR_CHALLENGE_ANSWER[login.mechanism]);
        case 'error-answered':
          // Whatever follows an error challenge, the token was refused.
          return refused(line, 'the backend refused the token');
      }
    },
  };
}
