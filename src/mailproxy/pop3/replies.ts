/**
 * The fixed POP3 replies nginx 1.22 sends before login (ngx_mail_pop3_handler.c, and the strings
 * ngx_mail_pop3_merge_srv_conf builds; nginx-auth-http.md §4.2): the greeting, the three CAPA
 * variants and the AUTH mechanism list. Postern adds OAUTHBEARER and XOAUTH2, each when `auth`
 * lists it, after nginx's mechanisms (docs/mail-proxy.md).
 */
import type { Pop3Settings } from '../session.js';

export const POP3_OK = Buffer.from('+OK\r\n');
export const POP3_INVALID_COMMAND = Buffer.from('-ERR invalid command\r\n');

/** `+OK POP3 ready`, with ` <salt>` when APOP or CRAM-MD5 is enabled (§4.2, §6.4). */
export function pop3Greeting(salt: string | undefined): Buffer {
  return Buffer.from(`+OK POP3 ready${salt === undefined ? '' : ` ${salt}`}\r\n`);
}

/**
 * SASL mechanism names in nginx's order. `plain` enables PLAIN and LOGIN (both always accepted,
 * only advertised with it, §4.1); APOP has no SASL name.
 */
function saslNames(settings: Pop3Settings): string[] {
  const names: string[] = [];
  if (settings.auth.includes('plain')) names.push('PLAIN', 'LOGIN');
  if (settings.auth.includes('cram-md5')) names.push('CRAM-MD5');
  if (settings.auth.includes('external')) names.push('EXTERNAL');
  if (settings.auth.includes('oauthbearer')) names.push('OAUTHBEARER');
  if (settings.auth.includes('xoauth2')) names.push('XOAUTH2');
  return names;
}

export type CapaVariant =
  /** No STLS: starttls off, TLS already on, or CAPA after USER (nginx passes stls=0 there). */
  | 'plain'
  /** `starttls on` before TLS: STLS before the final dot. */
  | 'stls'
  /** `starttls only` before TLS: no USER line, no SASL line, STLS (§4.2). */
  | 'stls-only';

export function pop3Capa(settings: Pop3Settings, variant: CapaVariant): Buffer {
  const lines = ['+OK Capability list follows'];
  if (variant === 'stls-only') {
    // ngx_strcasecmp: the whole capability compared with USER, any case.
    lines.push(...settings.capabilities.filter((c) => c.toUpperCase() !== 'USER'), 'STLS');
  } else {
    // The SASL line is written even when it names no mechanism (pop3_auth without plain).
    lines.push(...settings.capabilities, ['SASL', ...saslNames(settings)].join(' '));
    if (variant === 'stls') lines.push('STLS');
  }
  lines.push('.');
  return Buffer.from(lines.map((l) => `${l}\r\n`).join(''));
}

/** The reply to AUTH without an argument: one mechanism a line, then the dot. */
export function pop3AuthList(settings: Pop3Settings): Buffer {
  return Buffer.from(['+OK methods supported:', ...saslNames(settings), '.'].map((l) => `${l}\r\n`).join(''));
}
