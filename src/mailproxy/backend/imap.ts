/**
 * IMAP backend login (nginx-auth-http.md §3.2): LOGIN with the user and password as literals,
 * so any byte is safe, under the client's own tag, and the tagged OK goes to the client.
 * Better than nginx 1.22: when the greeting advertises LITERAL+ (RFC 7888) the whole command
 * goes in one write instead of three round trips; untagged lines before the tagged reply (a
 * `* CAPABILITY` some servers send) are passed on instead of failing the login; a `* PREAUTH`
 * greeting is refused, since a backend that logs in without a password is not the user's.
 * The greeting check and the tagged reply are shared with the bearer login (imap-bearer.ts).
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
  const reply = taggedReply(tag, 'the backend refused the login');
  const send = (...parts: Array<string | Buffer>): BackendStep => ({ kind: 'send', bytes: Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p))) });

  return {
    onLine(line) {
      switch (state) {
        case 'greeting': {
          const bad = greetingRefusal(line);
          if (bad) return bad;
          if (greetingCapabilities(line).includes('LITERAL+')) {
            state = 'tagged';
            return send(`${tag} LOGIN {${user.length}+}${CRLF}`, user, ` {${pass.length}+}${CRLF}`, pass, CRLF);
          }
          state = 'user-literal';
          return send(`${tag} LOGIN {${user.length}}${CRLF}`);
        }
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
          return reply(line);
      }
    },
  };
}

/** The refusal for a greeting that is not `* OK`, or undefined for a good one. */
export function greetingRefusal(line: Buffer): BackendStep | undefined {
  if (startsWithWord(line, '* OK')) return undefined;
  return refused(line, startsWithWord(line, '* PREAUTH') ? 'the backend logged in without a password (PREAUTH)' : 'the backend greeting is not "* OK"');
}

/** The items of the greeting's CAPABILITY response code (`* OK [CAPABILITY IMAP4rev1 LITERAL+ …] …`), upper-cased; none without one. */
export function greetingCapabilities(greeting: Buffer): string[] {
  const m = /^\* OK \[CAPABILITY ([^\]]*)\]/i.exec(greeting.toString('latin1'));
  return m ? m[1]!.toUpperCase().split(' ') : [];
}

/**
 * Reads the lines after the login command: untagged ones are kept and passed on, the tagged OK
 * ends the login with them, anything else under the tag is refused with `refusal`.
 */
export function taggedReply(tag: string, refusal: string): (line: Buffer) => BackendStep {
  const untagged: Buffer[] = [];
  return (line) => {
    if (startsWithWord(line, '* ')) {
      if (untagged.length >= MAX_UNTAGGED) return refused(line, `the backend sent more than ${MAX_UNTAGGED} untagged lines before its reply`);
      untagged.push(line);
      return { kind: 'more' };
    }
    if (startsWithWord(line, `${tag} OK`)) return { kind: 'done', toClient: Buffer.concat([...untagged.flatMap((u) => [u, Buffer.from(CRLF)]), line, Buffer.from(CRLF)]) };
    return refused(line, startsWithWord(line, `${tag} `) ? refusal : 'the backend sent an unexpected line');
  };
}
