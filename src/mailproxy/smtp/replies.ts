/**
 * The SMTP replies nginx 1.22 sends before login, byte for byte (nginx-auth-http.md §4.2): the
 * fixed strings of ngx_mail_smtp_handler.c and the greeting, HELO and EHLO replies that
 * ngx_mail_smtp_merge_srv_conf builds from `server_name`, `smtp_capabilities` and `smtp_auth`.
 */
import type { SmtpSettings } from '../session.js';

export const SMTP_REPLY = {
  ok: '250 2.0.0 OK\r\n',
  bye: '221 2.0.0 Bye\r\n',
  startTls: '220 2.0.0 Start TLS\r\n',
  invalidCommand: '500 5.5.1 Invalid command\r\n',
  invalidArgument: '501 5.5.4 Invalid argument\r\n',
  authRequired: '530 5.7.1 Authentication required\r\n',
  badSequence: '503 5.5.1 Bad sequence of commands\r\n',
} as const;

export function greeting(serverName: string): string {
  return `220 ${serverName} ESMTP ready\r\n`;
}

export function heloReply(serverName: string): string {
  return `250 ${serverName}\r\n`;
}

/**
 * What EHLO advertises: `plain` once TLS is up or with `starttls off`; before TLS, `starttls`
 * adds a STARTTLS line and `starttls-only` replaces the AUTH line with it (§4.2, §4.4).
 */
export type EhloVariant = 'plain' | 'starttls' | 'starttls-only';

/** nginx's names in its bitmask order, whatever order the directive listed them in. */
const ADVERTISED = [
  ['plain', 'PLAIN'],
  ['login', 'LOGIN'],
  ['cram-md5', 'CRAM-MD5'],
  ['external', 'EXTERNAL'],
  // Postern's additions, after nginx's own (src/sasl/oauthbearer.ts).
  ['oauthbearer', 'OAUTHBEARER'],
  ['xoauth2', 'XOAUTH2'],
] as const;

/** The AUTH line's mechanisms: those `auth` lists, in this fixed order. */
export function advertisedMechanisms(settings: Pick<SmtpSettings, 'auth'>): string[] {
  return ADVERTISED.filter(([m]) => settings.auth.includes(m)).map(([, name]) => name);
}

/**
 * `250-<server_name>`, `250-<capability>`…, then `AUTH …` and/or `STARTTLS`, the last line with
 * `250 `. With only `none` enabled there is no AUTH line, so a capability (or the name) ends it.
 */
export function ehloReply(serverName: string, settings: Pick<SmtpSettings, 'auth' | 'capabilities'>, variant: EhloVariant): string {
  const mechanisms = advertisedMechanisms(settings);
  const lines = [serverName, ...settings.capabilities];
  if (variant !== 'starttls-only' && mechanisms.length > 0) lines.push(`AUTH ${mechanisms.join(' ')}`);
  if (variant !== 'plain') lines.push('STARTTLS');
  return lines.map((text, i) => `250${i === lines.length - 1 ? ' ' : '-'}${text}\r\n`).join('');
}
