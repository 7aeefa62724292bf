/**
 * Reading a Dovecot passwd-file for import (pure: text in, entries and skip reasons out).
 *
 * Format (Dovecot's db-passwd-file.c): `user:password:uid:gid:(gecos):home:(shell):extra_fields`,
 * `#` comment lines and blank lines ignored, only user and password required. Extra fields
 * are space-separated `key=value`; they may contain `:`, so everything after the 7th `:` is
 * one field. The password is `{SCHEME}value` or bare (CRYPT).
 *
 * Every line is either an entry or a skip with a reason that starts with a stable code
 * (`malformed`, `no-domain`, `duplicate`, `empty-password`, `unsupported-scheme`,
 * `malformed-hash`). Reasons never contain the password field.
 */
import { checkStoredHash } from './verify.js';

export interface PasswdEntry {
  line: number;
  /** Lower-cased, always with an @domain. */
  user: string;
  /** Always a value verifyPassword accepts (lines with an empty or unusable password are skipped). */
  passwordHash: string;
  /** Extra fields; a flag without `=` (`nologin`, `noauthenticate`) maps to 'y'. */
  extra: Record<string, string>;
}

export interface PasswdSkip {
  line: number;
  user?: string;
  reason: string;
}

export interface PasswdFileOptions {
  /** Domain for user names listed without one; without it such users are skipped. */
  defaultDomain?: string;
}

const BAD_NAME_CHARS = /[\s\x00-\x1f\x7f]/;
// Fields of a line, counted from 0.
const EXTRA_FIELD = 7;

export function parsePasswdFile(text: string, opts: PasswdFileOptions = {}): { entries: PasswdEntry[]; skipped: PasswdSkip[] } {
  const entries: PasswdEntry[] = [];
  const skipped: PasswdSkip[] = [];
  const seen = new Map<string, number>();
  const defaultDomain = opts.defaultDomain?.trim().replace(/^@/, '').toLowerCase() || undefined;

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = (lines[i] ?? '').replace(/\r$/, '');
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    const skip = (reason: string, user?: string): void => {
      skipped.push(user === undefined ? { line, reason } : { line, user, reason });
    };

    const fields = raw.split(':');
    const name = fields[0] ?? '';
    if (name === '') {
      skip('malformed: empty user name');
      continue;
    }
    if (BAD_NAME_CHARS.test(name)) {
      skip('malformed: user name contains spaces or control characters');
      continue;
    }
    let user = name.toLowerCase();
    if (user.startsWith('@') || user.endsWith('@')) {
      skip('malformed: user name has an empty local part or domain', user);
      continue;
    }
    if (fields.length < 2) {
      skip('malformed: fewer than 2 fields', user);
      continue;
    }
    if (!user.includes('@')) {
      if (!defaultDomain) {
        skip(`no-domain: user "${user}" has no @domain and no default domain was given`, user);
        continue;
      }
      user = `${user}@${defaultDomain}`;
    }
    // Like Dovecot, the first line for a user wins, even if we skip it for its password.
    const first = seen.get(user);
    if (first !== undefined) {
      skip(`duplicate: ${user} already on line ${first}`, user);
      continue;
    }
    seen.set(user, line);

    const password = legacyPamPassword(fields[1] ?? '');
    if (password === '') {
      skip('empty-password', user);
      continue;
    }
    const problem = checkStoredHash(password);
    if (problem) {
      skip(problem.message, user);
      continue;
    }
    entries.push({ line, user, passwordHash: password, extra: parseExtra(fields) });
  }
  return { entries, skipped };
}

/**
 * libpam-pwdfile's `hash[NN]` suffix, which Dovecot still reads: 34 = PLAIN-MD5,
 * 56 = DIGEST-MD5, anything else CRYPT. Only for values not starting with `{` or `$`.
 */
function legacyPamPassword(pass: string): string {
  const m = /^([^{$].*)\[(\d\d)\]$/.exec(pass);
  if (!m) return pass;
  const value = m[1] ?? '';
  if (m[2] === '34') return `{PLAIN-MD5}${value}`;
  if (m[2] === '56') return `{DIGEST-MD5}${value}`;
  return `{CRYPT}${value}`;
}

function parseExtra(fields: string[]): Record<string, string> {
  const extra: Record<string, string> = {};
  if (fields.length <= EXTRA_FIELD) return extra;
  if (fields[EXTRA_FIELD] === '' && fields.length > EXTRA_FIELD + 1) {
    // Dovecot's old format: an empty 8th field, then the mail location.
    const mail = fields.slice(EXTRA_FIELD + 1).join(':');
    if (mail !== '') extra['userdb_mail'] = mail;
    return extra;
  }
  for (const token of fields.slice(EXTRA_FIELD).join(':').split(/\s+/)) {
    if (token === '') continue;
    const eq = token.indexOf('=');
    if (eq === 0) continue; // `=value` names nothing
    if (eq < 0) extra[token] = 'y';
    else extra[token.slice(0, eq)] = token.slice(eq + 1);
  }
  return extra;
}
