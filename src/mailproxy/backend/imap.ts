/**
 * IMAP backend login (nginx-auth-http.md §3.2): LOGIN with the user and password as literals,
 * so any byte is safe, under the client's own tag, and the tagged OK goes to the client.
 * Better than nginx 1.22: when the greeting advertises LITERAL+ (RFC 7888) the whole command
 * goes in one write instead of three round trips; untagged lines before the tagged reply (a
 * `* CAPABILITY` some servers send) are passed on instead of failing the login; a `* PREAUTH`
 * greeting is refused, since a backend that logs in without a password is not the user's.
 */
import { CRLF, refused, startsWithWord, type BackendDialogue, type BackendStep } from './types.js';

/** Untagged lines passed on before the tagged reply; more means a misbehaving backend. */
const MAX_UNTAGGED = 32;

export interface ImapLogin {
  /** The tag of the client's LOGIN or AUTHENTICATE command. */
  tag: string;
  user: Buffer;
  pass: Buffer;
}

export function imapBackendLogin(login: ImapLogin): BackendDialogue {
  const { tag, user, pass } = login;
  let state: 'greeting' | 'user-literal' | 'pass-literal' | 'tagged' = 'greeting';
  const untagged: Buffer[] = [];
  const send = (...parts: Array<string | Buffer>): BackendStep => ({ kind: 'send', bytes: Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p))) });

  return {
    onLine(line) {
      switch (state) {
        case 'greeting':
          if (!startsWithWord(line, '* OK')) return refused(line, startsWithWord(line, '* PREAUTH') ? 'the backend logged in without a password (PREAUTH)' : 'the backend greeting is not "* OK"');
          if (hasLiteralPlus(line)) {
            state = 'tagged';
            return send(`${tag} LOGIN {${user.length}+}${CRLF}`, user, ` {${pass.length}+}${CRLF}`, pass, CRLF);
          }
          state = 'user-literal';
          return send(`${tag} LOGIN {${user.length}}${CRLF}`);
        case 'user-literal':
        case 'pass-literal': {
          if (line[0] === 0x2b /* + */) {
            if (state === 'user-literal') {
              state = 'pass-literal';
              return send(user, ` {${pass.length}}${CRLF}`);
            }
            state = 'tagged';
            return send(pass, CRLF);
          }
          if (startsWithWord(line, '* ')) return { kind: 'more' };
          return refused(line, 'the backend did not accept the LOGIN literal');
        }
        case 'tagged':
          if (startsWithWord(line, '* ')) {
            if (untagged.length >= MAX_UNTAGGED) return refused(line, `the backend sent more than ${MAX_UNTAGGED} untagged lines before its reply`);
            untagged.push(line);
            return { kind: 'more' };
          }
          if (startsWithWord(line, `${tag} OK`)) return { kind: 'done', toClient: Buffer.concat([...untagged.flatMap((u) => [u, Buffer.from(CRLF)]), line, Buffer.from(CRLF)]) };
          return refused(line, startsWithWord(line, `${tag} `) ? 'the backend refused the login' : 'the backend sent an unexpected line');
      }
    },
  };
}

/** LITERAL+ in the greeting's CAPABILITY response code: `* OK [CAPABILITY IMAP4rev1 LITERAL+ …] …`. */
function hasLiteralPlus(greeting: Buffer): boolean {
  const m = /^\* OK \[CAPABILITY ([^\]]*)\]/i.exec(greeting.toString('latin1'));
  return m !== null && m[1]!.toUpperCase().split(' ').includes('LITERAL+');
}
