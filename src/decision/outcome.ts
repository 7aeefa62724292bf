/**
 * What a decision says to the client, per protocol, and the stable reason codes logged with
 * it. IMAP texts carry RFC 5530 response codes and POP3 texts RFC 2449/3206 ones, since nginx
 * passes `Auth-Status` through as the text after `NO` / `-ERR` (nginx-auth-http.md §2.6).
 */
import { TEMP_FAIL_SMTP_CODE, TEMP_FAIL_STATUS } from '../authhttp/index.js';
import type { AuthDecision, Protocol } from '../authhttp/types.js';

export type Reason =
  // success
  | 'ok'
  | 'ok-legacy-route'
  /** The directory was unavailable; answered from a recently verified login (auth cache). */
  | 'ok-stale-cache'
  // refusals the client caused
  | 'bad-credentials'
  | 'unknown-user'
  | 'control-chars'
  | 'no-password'
  | 'disabled'
  | 'protocol-denied'
  | 'network-denied'
  | 'method-unsupported'
  /** APOP/CRAM-MD5: the digest does not match the mailbox's reversible credential. */
  | 'bad-digest'
  /** APOP/CRAM-MD5 for a mailbox that has no reversible credential. */
  | 'no-reversible-secret'
  | 'external-untrusted'
  | 'external-unmapped'
  | 'mx-relay-denied'
  | 'mx-unknown-recipient'
  | 'mx-bad-recipient'
  /** AUTH on a listener for inbound mail only (auth_http path ending in /mx). */
  | 'mx-auth-refused'
  /** The client's IP or subnet is banned. */
  | 'banned'
  /** The mailbox is protected after many different wrong passwords, and the client is not its owner's. */
  | 'account-protected'
  /** An app password of the mailbox, used outside its protocols or networks (answered as a wrong password). */
  | 'app-password-out-of-scope'
  /** An app password of the mailbox past its expiry (answered as a wrong password). */
  | 'app-password-expired'
  /** A revoked app password of the mailbox (answered as a wrong password). */
  | 'app-password-revoked'
  // OAUTHBEARER / XOAUTH2 (bearer-login.ts), all answered as a wrong password
  /** The introspection endpoint says inactive, or the token expired, is not yet valid or is no b64token. */
  | 'token-inactive'
  /** The token lacks `[oauth] required_scope`. */
  | 'token-scope-missing'
  /** The introspection answer has no `[oauth] username_claim` string. */
  | 'token-no-identity'
  /** The token's identity names no mailbox. */
  | 'token-unknown-mailbox'
  /** Auth-User names another mailbox than the token's, or none. */
  | 'token-user-mismatch'
  /** A bearer login, and no `[oauth]` section to check it with. */
  | 'oauth-not-configured'
  // temporary failures: Postern or its surroundings went wrong
  | 'no-route'
  | 'no-port'
  | 'dns-failure'
  | 'bad-hash'
  /** A stored secret (reversible credential, backend master password) cannot be decrypted (the log names the key id). */
  | 'secret-undecryptable'
  /** The reversible credential or master password holds bytes nginx cannot pass on as Auth-Pass. */
  | 'secret-unsendable'
  /** The backend's master login cannot be used: its password was reset, or the backend login holds the separator. */
  | 'master-login-unusable'
  /** Too many password verifications waiting: refused at once rather than miss nginx's deadline. */
  | 'overloaded'
  /** The token introspection endpoint did not answer, or not with an RFC 7662 answer. */
  | 'oauth-unavailable'
  | 'bad-request'
  | 'internal-error'
  | 'timeout'
  | 'reply-invalid';

export type Result = 'ok' | 'fail' | 'tempfail';

export function resultOf(decision: AuthDecision): Result {
  if (decision.kind === 'ok') return 'ok';
  if (decision.kind === 'wait') return 'tempfail';
  return decision.temporary ? 'tempfail' : 'fail';
}

interface Refusal {
  imap: string;
  pop3: string;
  smtp: string;
  smtpCode: string;
  temporary: boolean;
}

export const REFUSALS = {
  invalid: {
    imap: '[AUTHENTICATIONFAILED] Invalid login or password',
    pop3: '[AUTH] Invalid login or password',
    smtp: 'Invalid login or password',
    smtpCode: '535 5.7.8',
    temporary: false,
  },
  disabled: {
    imap: '[CONTACTADMIN] Account disabled',
    pop3: '[AUTH] Account disabled',
    smtp: 'Account disabled',
    smtpCode: '525 5.7.13',
    temporary: false,
  },
  protocol: {
    imap: '[AUTHORIZATIONFAILED] IMAP access is not enabled for this account',
    pop3: '[AUTH] POP3 access is not enabled for this account',
    smtp: 'SMTP submission is not enabled for this account',
    smtpCode: '550 5.7.1',
    temporary: false,
  },
  network: {
    imap: '[AUTHORIZATIONFAILED] Login not allowed from this network',
    pop3: '[AUTH] Login not allowed from this network',
    smtp: 'Login not allowed from this network',
    smtpCode: '550 5.7.1',
    temporary: false,
  },
  method: {
    imap: '[CANNOT] APOP and CRAM-MD5 are not available; use PLAIN or LOGIN over TLS',
    pop3: '[AUTH] APOP and CRAM-MD5 are not available; use USER/PASS or AUTH PLAIN over TLS',
    smtp: 'CRAM-MD5 is not available; use AUTH PLAIN or LOGIN over TLS',
    smtpCode: '504 5.5.4',
    temporary: false,
  },
  external: {
    imap: '[AUTHENTICATIONFAILED] Certificate not accepted',
    pop3: '[AUTH] Certificate not accepted',
    smtp: 'Certificate not accepted',
    smtpCode: '535 5.7.8',
    temporary: false,
  },
  banned: {
    imap: '[UNAVAILABLE] Too many failed logins; try again later',
    pop3: '[SYS/TEMP] Too many failed logins; try again later',
    smtp: 'Too many failed logins, try again later',
    smtpCode: '454 4.7.0',
    temporary: true,
  },
  // Mailu answers AUTH on port 25 the same way.
  mxAuth: { imap: '', pop3: '', smtp: 'Authentication not available on this port', smtpCode: '502 5.5.1', temporary: false },
  relay: { imap: '', pop3: '', smtp: 'Relay access denied', smtpCode: '554 5.7.1', temporary: false },
  recipient: { imap: '', pop3: '', smtp: 'Recipient address rejected: user unknown', smtpCode: '550 5.1.1', temporary: false },
  recipientSyntax: { imap: '', pop3: '', smtp: 'Bad recipient address syntax', smtpCode: '501 5.1.3', temporary: false },
  // The same wire text the codec falls back to when a reply cannot be encoded.
  temporary: { ...TEMP_FAIL_STATUS, smtpCode: TEMP_FAIL_SMTP_CODE, temporary: true },
} satisfies Record<string, Refusal>;

export type RefusalKind = keyof typeof REFUSALS;

export function refusal(kind: RefusalKind, protocol: Protocol, wait?: number): AuthDecision {
  const r: Refusal = REFUSALS[kind];
  return {
    kind: 'fail',
    temporary: r.temporary,
    message: r[protocol] || r.smtp,
    smtpCode: r.smtpCode,
    ...(wait && wait > 0 ? { wait } : {}),
  };
}
