/**
 * The arguments of IMAP `AUTHENTICATE`, POP3 `AUTH` and SMTP `AUTH` as `ngx_mail_auth_parse`
 * reads them (nginx-auth-http.md §4.3): the mechanism name case-insensitively, then how many
 * arguments it may have. Which mechanisms are enabled is the caller's check, as in nginx: PLAIN
 * and LOGIN are always accepted; CRAM-MD5 and EXTERNAL only when configured (§4.1).
 */
import type { ParseResult } from '../authhttp/index.js';

export type SaslMechanism = 'plain' | 'login' | 'cram-md5' | 'external' | 'oauthbearer' | 'xoauth2';

export interface AuthCommand {
  mechanism: SaslMechanism;
  /** The initial response, still base64 (`=` means empty). Never present for CRAM-MD5. */
  initial?: Buffer;
}

export type AuthCommandErrorCode =
  /** No argument at all. SMTP answers `501 5.5.4 Invalid argument`; IMAP and POP3 an invalid command. */
  | 'no-mechanism'
  /** An unknown mechanism, or too many arguments: the invalid-command reply. */
  | 'invalid';

export interface AuthCommandOptions {
  /** Accept OAUTHBEARER and XOAUTH2 (Postern's additions, see oauthbearer.ts). Off: nginx's set. */
  bearer?: boolean;
}

/** `args` as the protocol parser split them at spaces, the mechanism name first. */
export function parseAuthCommand(args: readonly Uint8Array[], options: AuthCommandOptions = {}): ParseResult<AuthCommand, AuthCommandErrorCode> {
  const [name, initial, ...extra] = args;
  if (name === undefined) return fail('no-mechanism', 'no SASL mechanism given');
  const mechanism = mechanismOf(Buffer.from(name).toString('latin1').toUpperCase(), options);
  if (mechanism === undefined) return fail('invalid', 'unknown SASL mechanism');
  // LOGIN, PLAIN, EXTERNAL: at most one initial response. CRAM-MD5: none (RFC 2195 has no
  // initial response and nginx refuses one).
  if (extra.length > 0 || (mechanism === 'cram-md5' && initial !== undefined)) return fail('invalid', 'too many arguments');
  return { ok: true, value: initial === undefined ? { mechanism } : { mechanism, initial: Buffer.from(initial) } };
}

function mechanismOf(upper: string, options: AuthCommandOptions): SaslMechanism | undefined {
  switch (upper) {
    case 'PLAIN':
      return 'plain';
    case 'LOGIN':
      return 'login';
    case 'CRAM-MD5':
      return 'cram-md5';
    case 'EXTERNAL':
      return 'external';
    case 'OAUTHBEARER':
      return options.bearer ? 'oauthbearer' : undefined;
    case 'XOAUTH2':
      return options.bearer ? 'xoauth2' : undefined;
    default:
      return undefined;
  }
}

function fail(code: AuthCommandErrorCode, detail: string): ParseResult<AuthCommand, AuthCommandErrorCode> {
  return { ok: false, error: { code, detail } };
}
