/**
 * SMTP backend session set-up (nginx-auth-http.md §3.4): EHLO with Postern's name, XCLIENT
 * with the client's address (and login), the client's own HELO/EHLO replayed, then either the
 * gathered MAIL FROM and RCPT TO (inbound mail, `Auth-Method: none`: the backend's RCPT reply
 * goes to the client) or, when asked, AUTH to the backend; the client is told `235 2.0.0 OK`.
 * Better than nginx 1.22: the XCLIENT LOGIN and NAME are xtext-encoded, XCLIENT is sent only
 * when the backend offers it (and the caller is told), and AUTH uses a mechanism the backend
 * offers (PLAIN, else LOGIN) instead of PLAIN blindly. A bearer login passed on (bearer.ts) uses
 * the client's OAUTHBEARER or XOAUTH2, else the other one, whichever the backend offers; its
 * error challenge is answered and the login refused.
 */
import { isIPv6 } from 'node:net';
import { bearerResponse, ERROR_CHALLENGE_ANSWER, MECHANISM_NAME, pickBearerMechanism, type BearerCredentials } from './bearer.js';
import { CRLF, refused, type BackendDialogue, type BackendStep } from './types.js';
import { xtext } from './xtext.js';

export interface SmtpSetup {
  /** Postern's name, sent in its own EHLO (nginx's server_name). */
  serverName: string;
  /** What the client said, replayed after XCLIENT so the backend sees the client's name. */
  clientHelo: { verb: 'HELO' | 'EHLO'; name: string } | null;
  /** Send XCLIENT with the client's address when the backend offers it. */
  xclient: { addr: string; name: string | null; login: Buffer | null } | null;
  /** Log in to the backend with AUTH (nginx's proxy_smtp_auth): a password, or the client's bearer token. */
  auth: { user: Buffer; pass: Buffer } | BearerCredentials | null;
  /** Inbound mail: the client's MAIL FROM and RCPT TO lines, verbatim, replayed. */
  envelope: { mailFrom: string; rcptTo: string } | null;
}

export interface SmtpDialogue extends BackendDialogue {
  /** What the backend's EHLO reply offered, once known (AUTH mechanisms upper-cased). */
  readonly offered: { xclient: boolean; auth: string[] };
}

const OK_235 = Buffer.from(`235 2.0.0 OK${CRLF}`);

export function smtpBackendSetup(s: SmtpSetup): SmtpDialogue {
  type Await = 'greeting' | 'ehlo' | 'helo' | 'xclient' | 'client-helo' | 'auth-plain' | 'auth-login-pass' | 'auth-login-user' | 'auth-bearer' | 'auth-bearer-error' | 'mail' | 'rcpt';
  let awaiting: Await = 'greeting';
  let reply: string[] = [];
  const offered = { xclient: false, auth: [] as string[] };
  const password = s.auth && 'pass' in s.auth ? s.auth : null;
  const bearer = s.auth && 'token' in s.auth ? s.auth : null;
  const line = (text: string): BackendStep => ({ kind: 'send', bytes: Buffer.from(text + CRLF, 'latin1') });

  function afterEhlo(): BackendStep {
    if (s.xclient && offered.xclient) {
      awaiting = 'xclient';
      const addr = isIPv6(s.xclient.addr) ? `IPV6:${s.xclient.addr}` : s.xclient.addr;
      const login = s.xclient.login && s.xclient.login.length > 0 && !s.auth ? ` LOGIN=${xtext(s.xclient.login)}` : '';
      return line(`XCLIENT ADDR=${addr}${login} NAME=${s.xclient.name === null ? '[UNAVAILABLE]' : xtext(Buffer.from(s.xclient.name, 'latin1'))}`);
    }
    return afterXclient();
  }

  function afterXclient(): BackendStep {
    if (awaiting !== 'xclient') return afterHelo();
    // XCLIENT restarts the session: the backend now expects a HELO/EHLO, the client's own if it sent one.
    awaiting = 'client-helo';
    return line(s.clientHelo ? `${s.clientHelo.verb} ${s.clientHelo.name}` : `EHLO ${s.serverName}`);
  }

  function afterHelo(): BackendStep {
    if (s.envelope) {
      awaiting = 'mail';
      return line(s.envelope.mailFrom);
    }
    if (bearer) return authBearer(bearer);
    if (password) {
      const b64 = (b: Buffer) => b.toString('base64');
      if (offered.auth.includes('PLAIN')) {
        awaiting = 'auth-plain';
        return line(`AUTH PLAIN ${b64(Buffer.concat([Buffer.from([0]), password.user, Buffer.from([0]), password.pass]))}`);
      }
      if (offered.auth.includes('LOGIN')) {
        awaiting = 'auth-login-user';
        return line(`AUTH LOGIN ${b64(password.user)}`);
      }
      return refused('', `the backend offers no AUTH PLAIN or LOGIN (it offers: ${offered.auth.join(' ') || 'none'})`);
    }
    return { kind: 'done', toClient: OK_235 };
  }

  /** The answer to the backend's error challenge, for the mechanism asked with. */
  let bearerAnswer = '';
  function authBearer(auth: BearerCredentials): BackendStep {
    const mechanism = pickBearerMechanism(auth.mechanism, offered.auth);
    if (!mechanism) return refused('', `the backend offers no AUTH OAUTHBEARER or XOAUTH2 (it offers: ${offered.auth.join(' ') || 'none'})`);
    const built = bearerResponse(mechanism, auth);
    if (!built.ok) return refused('', built.detail);
    awaiting = 'auth-bearer';
    bearerAnswer = ERROR_CHALLENGE_ANSWER[mechanism];
    // RFC 4954 §4: with an initial response the line may be up to 12288 octets.
    return line(`AUTH ${MECHANISM_NAME[mechanism]} ${built.base64}`);
  }

  function readCapabilities(lines: string[]): void {
    offered.xclient = false;
    offered.auth = [];
    for (const l of lines.slice(1)) {
      const words = l.slice(4).trim().toUpperCase().split(/\s+/);
      if (words[0] === 'XCLIENT') offered.xclient = true;
      if (words[0] === 'AUTH') offered.auth = words.slice(1);
    }
  }

  return {
    offered,
    onLine(raw) {
      const text = raw.toString('latin1');
      // A reply is one or more lines `NNN-…` ending with `NNN …` (RFC 5321 §4.2.1).
      if (!/^\d{3}([ -]|$)/.test(text)) return refused(text, 'the backend sent a line that is not an SMTP reply');
      reply.push(text);
      if (text[3] === '-') return reply.length > 256 ? refused(text, 'the backend reply has too many lines') : { kind: 'more' };
      const lines = reply;
      reply = [];
      const code = text.slice(0, 3);
      const fail = (what: string) => refused(lines.join('\n'), what);
      switch (awaiting) {
        case 'greeting':
          if (code !== '220') return fail('the backend greeting is not 220');
          awaiting = 'ehlo';
          return line(`EHLO ${s.serverName}`);
        case 'ehlo':
          if (code === '250') {
            readCapabilities(lines);
            return afterEhlo();
          }
          if (code[0] !== '5') return fail('the backend refused EHLO');
          // An old server without ESMTP (RFC 5321 §3.2): HELO, and no XCLIENT or AUTH.
          awaiting = 'helo';
          return line(`HELO ${s.serverName}`);
        case 'helo':
          return code === '250' ? afterEhlo() : fail('the backend refused HELO');
        case 'xclient':
          return code === '220' || code === '250' ? afterXclient() : fail('the backend refused XCLIENT');
        case 'client-helo':
          if (code !== '250') return fail('the backend refused HELO/EHLO after XCLIENT');
          if (s.clientHelo?.verb !== 'HELO') readCapabilities(lines);
          return afterHelo();
        case 'mail':
          if (code !== '250') return fail('the backend refused MAIL FROM');
          awaiting = 'rcpt';
          return line(s.envelope!.rcptTo);
        case 'rcpt':
          // Whatever the backend answers RCPT (even 550) is the client's answer (§3.4 step 4).
          return { kind: 'done', toClient: Buffer.from(lines.map((l) => l + CRLF).join(''), 'latin1') };
        case 'auth-plain':
          return code === '235' ? { kind: 'done', toClient: OK_235 } : fail('the backend refused AUTH PLAIN');
        case 'auth-login-user':
          if (code !== '334') return fail('the backend refused AUTH LOGIN');
          awaiting = 'auth-login-pass';
          return line(password!.pass.toString('base64'));
        case 'auth-login-pass':
          return code === '235' ? { kind: 'done', toClient: OK_235 } : fail('the backend refused AUTH LOGIN');
        case 'auth-bearer':
          if (code === '235') return { kind: 'done', toClient: OK_235 };
          if (code !== '334') return fail('the backend refused the token');
          // RFC 7628 §3.2.2 (§4.1's SMTP example): answer the error challenge; its 535 follows.
          awaiting = 'auth-bearer-error';
          return line(bearerAnswer);
        case 'auth-bearer-error':
          // Whatever follows an error challenge, the token was refused.
          return fail('the backend refused the token');
      }
    },
  };
}
