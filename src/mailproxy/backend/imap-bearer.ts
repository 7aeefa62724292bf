/**
 * IMAP backend login with the client's bearer token (bearer.ts): `AUTHENTICATE OAUTHBEARER` or
 * `XOAUTH2` under the client's tag, with the response on the command line when the greeting
 * shows SASL-IR (RFC 4959), else after the backend's `+` continuation; the tagged OK goes to the
 * client as LOGIN's does (imap.ts). The mechanism is the client's unless the greeting's AUTH=
 * items name only the other one; a greeting that names neither is no proof (a backend hides
 * plaintext-class mechanisms before its STARTTLS), so the client's is tried.
 */
import { bearerResponse, ERROR_CHALLENGE_ANSWER, MECHANISM_NAME, pickBearerMechanism, type BearerCredentials } from './bearer.js';
import { greetingCapabilities, greetingRefusal, taggedReply } from './imap.js';
import { CRLF, refused, startsWithWord, type BackendDialogue, type BackendStep } from './types.js';

export interface ImapBearerLogin extends BearerCredentials {
  /** The tag of the client's AUTHENTICATE command. */
  tag: string;
}

export function imapBackendBearer(login: ImapBearerLogin): BackendDialogue {
  const { tag } = login;
  /** `continuation`: the command went without the response; `error-answered`: the error challenge was answered. */
  let state: 'greeting' | 'continuation' | 'reply' | 'error-answered' = 'greeting';
  let response = '';
  let answer = '';
  const reply = taggedReply(tag, 'the backend refused the token');
  const send = (text: string): BackendStep => ({ kind: 'send', bytes: Buffer.from(`${text}${CRLF}`, 'latin1') });

  return {
    onLine(line) {
      switch (state) {
        case 'greeting': {
          const bad = greetingRefusal(line);
          if (bad) return bad;
          const capabilities = greetingCapabilities(line);
          const offered = capabilities.filter((c) => c.startsWith('AUTH=')).map((c) => c.slice(5));
          const mechanism = pickBearerMechanism(login.mechanism, offered) ?? login.mechanism;
          const built = bearerResponse(mechanism, login);
          if (!built.ok) return refused('', built.detail);
          answer = ERROR_CHALLENGE_ANSWER[mechanism];
          const command = `${tag} AUTHENTICATE ${MECHANISM_NAME[mechanism]}`;
          if (capabilities.includes('SASL-IR')) {
            state = 'reply';
            return send(`${command} ${built.base64}`);
          }
          response = built.base64;
          state = 'continuation';
          return send(command);
        }
        case 'continuation':
          if (line[0] === 0x2b /* + */) {
            state = 'reply';
            return send(response);
          }
          if (startsWithWord(line, '* ')) return { kind: 'more' };
          return refused(line, startsWithWord(line, `${tag} `) ? 'the backend refused AUTHENTICATE' : 'the backend sent an unexpected line');
        case 'reply':
          if (line[0] === 0x2b /* + */) {
            // RFC 7628 §3.2.2: the token was refused; answer, then the backend's NO follows.
            state = 'error-answered';
            return send(answer);
          }
          return reply(line);
        case 'error-answered':
          if (startsWithWord(line, '* ')) return { kind: 'more' };
          // Whatever the tagged reply says after an error challenge, the token was refused.
          return refused(line, startsWithWord(line, `${tag} `) ? 'the backend refused the token' : 'the backend sent an unexpected line');
      }
    },
  };
}
