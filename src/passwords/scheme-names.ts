/**
 * Naming stored hashes: splitting Dovecot's `{SCHEME.ENCODING}` prefix from the value,
 * classifying bare crypt strings by their `$id$`, and the words Postern uses for schemes it
 * will not verify. Pure string work: nothing here checks that a hash is well formed.
 */

import { decodeBase64, decodeHex } from './encodings.js';

export type Encoding = 'base64' | 'hex';

export interface SplitHash {
  /** Upper-case scheme name; for `{CRYPT}` and bare values, the crypt format's own name. */
  scheme: string;
  /** Encoding forced by a `.b64`/`.base64`/`.hex` suffix; null when none was given. */
  encoding: Encoding | null;
  /** Whether a `.suffix` was present but is not one Dovecot knows. */
  badEncoding: boolean;
  /** The value after the prefix. */
  body: string;
}

// Dovecot (password_get_scheme) takes whatever sits between `{` and the first `}`; we also
// require scheme-like characters so that a bare value that happens to start with `{` is
// not mistaken for a prefix, and so that the name is safe to put in messages.
const PREFIX = /^\{([A-Za-z0-9_-]{1,32})(?:\.([A-Za-z0-9]{1,16}))?\}/;

/** The Dovecot scheme names Postern verifies. */
export const SUPPORTED_SCHEMES: ReadonlySet<string> = new Set([
  'ARGON2ID', 'ARGON2I', 'BLF-CRYPT', 'SHA512-CRYPT', 'SHA256-CRYPT', 'MD5-CRYPT', 'PBKDF2',
  'SSHA512', 'SSHA256', 'SSHA', 'SHA512', 'SHA256', 'SHA', 'SHA1', 'PLAIN', 'CLEAR', 'CLEARTEXT',
]);

export const CLEARTEXT_SCHEMES: ReadonlySet<string> = new Set(['PLAIN', 'CLEAR', 'CLEARTEXT']);

export function splitStored(stored: string): SplitHash {
  const m = PREFIX.exec(stored);
  if (!m) return { scheme: cryptSchemeOf(stored), encoding: null, badEncoding: false, body: stored };
  const name = (m[1] ?? '').toUpperCase();
  const suffix = m[2]?.toLowerCase();
  const encoding: Encoding | null = suffix === 'hex' ? 'hex' : suffix === 'b64' || suffix === 'base64' ? 'base64' : null;
  const body = stored.slice(m[0].length);
  const badEncoding = suffix !== undefined && encoding === null;
  if (name === 'CRYPT' && !badEncoding) {
    // `{CRYPT}` is a container: what matters is which crypt format it holds, so an
    // encoded `{CRYPT.HEX}` is decoded here and handed on as the plain crypt string.
    const text = encoding ? decodeText(body, encoding) : body;
    if (text !== null) return { scheme: cryptSchemeOf(text), encoding: null, badEncoding, body: text };
  }
  return { scheme: name, encoding, badEncoding, body };
}

/** An encoded crypt string back as text; null when not decodable. */
function decodeText(body: string, encoding: Encoding): string | null {
  const bytes = encoding === 'hex' ? decodeHex(body) : decodeBase64(body);
  // latin1 keeps one character per byte, so the bytes survive a later Buffer.from(x, 'latin1').
  return bytes === null ? null : bytes.toString('latin1');
}

/**
 * The scheme name of a crypt(3) string from its `$id$` (the formats libxcrypt knows, plus
 * argon2 PHC strings, which some tools store bare). 'CRYPT' when nothing matches.
 */
export function cryptSchemeOf(value: string): string {
  if (value.startsWith('$1$')) return 'MD5-CRYPT';
  if (value.startsWith('$5$')) return 'SHA256-CRYPT';
  if (value.startsWith('$6$')) return 'SHA512-CRYPT';
  if (/^\$2[abxy]\$/.test(value)) return 'BLF-CRYPT';
  if (value.startsWith('$argon2id$')) return 'ARGON2ID';
  if (value.startsWith('$argon2i$')) return 'ARGON2I';
  if (value.startsWith('$argon2d$')) return 'ARGON2D';
  if (value.startsWith('$y$')) return 'YESCRYPT';
  if (value.startsWith('$gy$')) return 'GOST-YESCRYPT';
  if (value.startsWith('$7$')) return 'SCRYPT';
  if (value.startsWith('$3$')) return 'NT-HASH';
  if (value.startsWith('$md5')) return 'SUN-MD5';
  if (value.startsWith('$sha1$')) return 'SHA1-CRYPT';
  if (/^_[./0-9A-Za-z]{19}$/.test(value)) return 'BSDI-CRYPT';
  if (/^[./0-9A-Za-z]{13}$/.test(value)) return 'DES-CRYPT';
  return 'CRYPT';
}

const WEAK = 'weak, disabled in Dovecot 2.4';
const LIBC_ONLY = 'a libc crypt() format Postern cannot verify';
const MECHANISM = 'a mechanism-specific scheme Postern does not verify';

const UNSUPPORTED_WHY: Readonly<Record<string, string>> = {
  MD5: WEAK,
  'PLAIN-MD5': WEAK,
  'LDAP-MD5': WEAK,
  SMD5: WEAK,
  'PLAIN-MD4': WEAK,
  'DES-CRYPT': WEAK,
  'BSDI-CRYPT': WEAK,
  'NT-HASH': WEAK,
  'SUN-MD5': LIBC_ONLY,
  'SHA1-CRYPT': LIBC_ONLY,
  YESCRYPT: LIBC_ONLY,
  'GOST-YESCRYPT': LIBC_ONLY,
  SCRYPT: LIBC_ONLY,
  'CRAM-MD5': MECHANISM,
  'HMAC-MD5': MECHANISM,
  'DIGEST-MD5': MECHANISM,
  'SCRAM-SHA-1': MECHANISM,
  'SCRAM-SHA-256': MECHANISM,
  OTP: MECHANISM,
  SKEY: MECHANISM,
  RPA: MECHANISM,
  LANMAN: MECHANISM,
  NTLM: MECHANISM,
  'PLAIN-TRUNC': 'truncated plaintext, not supported by Postern',
  ARGON2D: 'not a Dovecot scheme',
  CRYPT: 'unrecognised crypt format',
};

/** Why Postern will not verify `scheme` (words only, for error messages and import reports). */
export function unsupportedWhy(scheme: string): string {
  return UNSUPPORTED_WHY[scheme] ?? 'unknown scheme';
}
