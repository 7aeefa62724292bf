/**
 * The bytes nginx's IMAP front end sends before login (nginx-auth-http.md §4.2; the strings of
 * ngx_mail_imap_handler.c and the capability lines built in ngx_mail_imap_merge_srv_conf), kept
 * in one place so the session and its tests compare against the same table.
 */
import type { ImapSettings } from '../session.js';

export const GREETING = '* OK IMAP4 ready\r\n';
/** The continuation for a synchronizing literal `{n}` (`imap_next`). */
export const LITERAL_CONTINUATION = '+ OK\r\n';
/** Sent before the tagged OK of LOGOUT. */
export const BYE = '* BYE\r\n';

/** `<tag> OK completed`; nginx's tag is `* ` when it has none. */
export function completed(tag: string | null): string {
  return `${tag ?? '*'} OK completed\r\n`;
}

/** `<tag> BAD invalid command`, nginx's one refusal for everything. */
export function invalidCommand(tag: string | null): string {
  return `${tag ?? '*'} BAD invalid command\r\n`;
}

/** nginx's order, whatever the order in `imap_auth` (ngx_mail_imap_auth_methods_names). */
const AUTH_ITEMS = [
  ['plain', 'AUTH=PLAIN'],
  ['login', 'AUTH=LOGIN'],
  ['cram-md5', 'AUTH=CRAM-MD5'],
  ['external', 'AUTH=EXTERNAL'],
  // Postern's additions, after nginx's own (src/sasl/oauthbearer.ts).
  ['oauthbearer', 'AUTH=OAUTHBEARER'],
  ['xoauth2', 'AUTH=XOAUTH2'],
] as const;

/**
 * The untagged CAPABILITY line (§4.2): the configured capabilities and AUTH= items, plus
 * ` STARTTLS` with `starttls on` before TLS; with `starttls only` before TLS the AUTH= items
 * are dropped for ` STARTTLS LOGINDISABLED`. Once the connection is TLS, or with `starttls off`,
 * the plain line.
 */
export function capabilityLine(settings: Pick<ImapSettings, 'capabilities' | 'auth' | 'starttls'>, tls: boolean): string {
  const head = ['* CAPABILITY', ...settings.capabilities];
  const auth = AUTH_ITEMS.filter(([method]) => settings.auth.includes(method)).map(([, item]) => item);
  const items = tls || settings.starttls === 'off' ? [...head, ...auth] : settings.starttls === 'on' ? [...head, ...auth, 'STARTTLS'] : [...head, 'STARTTLS', 'LOGINDISABLED'];
  return `${items.join(' ')}\r\n`;
}
