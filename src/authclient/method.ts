/**
 * Which `Auth-Method` a client's way of logging in produces (nginx-auth-http.md §1.4). nginx's
 * name table is `{plain, plain, plain, apop, cram-md5, external, none}`, so `login` is never
 * sent: IMAP LOGIN, POP3 USER/PASS and SASL LOGIN all arrive as `plain` [verified].
 */
import type { SaslMechanism } from '../sasl/index.js';
import type { AuthMethod } from './types.js';

export type ClientLogin =
  | SaslMechanism
  /** IMAP `LOGIN user pass`. */
  | 'imap-login'
  /** POP3 `USER` + `PASS`. */
  | 'user-pass'
  /** POP3 `APOP user digest`. */
  | 'apop'
  /** SMTP without AUTH: MAIL FROM, then the first RCPT TO asks (§4.5). */
  | 'smtp-none';

export function authMethodFor(login: ClientLogin): AuthMethod {
  switch (login) {
    case 'plain':
    case 'login':
    case 'imap-login':
    case 'user-pass':
      return 'plain';
    case 'smtp-none':
      return 'none';
    default:
      return login;
  }
}
