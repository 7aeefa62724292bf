/**
 * Turns a stored value into a checked description of how to verify it, or throws
 * PasswordHashError. Everything about the *shape* of each scheme lives here, so that
 * import (passwd-file) can reject a broken hash with the same rules login uses.
 */
import { parseOptions as argon2Options } from '@node-rs/argon2';
import { malformed, unsupported } from './errors.js';
import { decodeBase64, decodeHex } from './encodings.js';
import { SHA_CRYPT_MAX_ROUNDS, SHA_CRYPT_MIN_ROUNDS, type ShaCryptSpec } from './sha-crypt.js';
import { cryptSchemeOf, SUPPORTED_SCHEMES, splitStored, unsupportedWhy, type Encoding } from './scheme-names.js';

export type DigestAlgorithm = 'sha1' | 'sha256' | 'sha512';

export type ParsedHash =
  | { kind: 'argon2'; scheme: 'ARGON2ID' | 'ARGON2I'; phc: string }
  | { kind: 'bcrypt'; scheme: 'BLF-CRYPT'; hash: string }
  | { kind: 'sha-crypt'; scheme: 'SHA256-CRYPT' | 'SHA512-CRYPT'; spec: ShaCryptSpec; digest: string }
  | { kind: 'md5-crypt'; scheme: 'MD5-CRYPT'; salt: Buffer; digest: string }
  | { kind: 'pbkdf2'; scheme: 'PBKDF2'; salt: Buffer; rounds: number; key: Buffer }
  | { kind: 'digest'; scheme: string; algorithm: DigestAlgorithm; digest: Buffer; salt: Buffer | null }
  | { kind: 'plain'; scheme: string; secret: Buffer };

const DIGESTS: Readonly<Record<string, { algorithm: DigestAlgorithm; size: number; salted: boolean }>> = {
  SHA: { algorithm: 'sha1', size: 20, salted: false },
  SHA1: { algorithm: 'sha1', size: 20, salted: false },
  SHA256: { algorithm: 'sha256', size: 32, salted: false },
  SHA512: { algorithm: 'sha512', size: 64, salted: false },
  SSHA: { algorithm: 'sha1', size: 20, salted: true },
  SSHA256: { algorithm: 'sha256', size: 32, salted: true },
  SSHA512: { algorithm: 'sha512', size: 64, salted: true },
};

// Crypt strings and PHC strings are printable ASCII; anything else is corruption.
const PRINTABLE = /^[\x21-\x7e]*$/;
const SHA_CRYPT = /^\$([56])\$(?:rounds=([1-9][0-9]{0,8})\$)?([^$]{0,16})\$([./0-9A-Za-z]+)$/;
const MD5_CRYPT = /^\$1\$([^$]{0,8})\$([./0-9A-Za-z]{22})$/;
const BCRYPT = /^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./0-9A-Za-z]{53}$/;
const PBKDF2 = /^\$1\$([^$]*)\$([0-9]{1,10})\$([0-9A-Fa-f]{40})$/;

/** Parses `stored` (a `{SCHEME}value` or a bare crypt string). Throws PasswordHashError. */
export function parseStored(stored: string): ParsedHash {
  const { scheme, encoding, badEncoding, body } = splitStored(stored);
  if (badEncoding) throw unsupported(scheme, 'unknown encoding suffix; Dovecot knows .b64, .base64 and .hex');
  if (!SUPPORTED_SCHEMES.has(scheme)) throw unsupported(scheme, unsupportedWhy(scheme));
  if (body === '') throw malformed(scheme, 'empty value');

  const digest = DIGESTS[scheme];
  if (digest) return parseDigest(scheme, body, encoding, digest);
  if (scheme === 'PLAIN' || scheme === 'CLEAR' || scheme === 'CLEARTEXT') {
    const secret = encoding ? decodeBytes(body, encoding) : Buffer.from(body, 'utf8');
    if (!secret) throw malformed(scheme, `value is not valid ${encoding}`);
    if (secret.length === 0) throw malformed(scheme, 'empty value');
    return { kind: 'plain', scheme, secret };
  }

  // The rest are text formats; an encoding suffix wraps the whole text.
  const raw = encoding ? decodeBytes(body, encoding) : Buffer.from(body, 'utf8');
  if (!raw) throw malformed(scheme, `value is not valid ${encoding}`);
  const text = raw.toString('latin1');
  if (!PRINTABLE.test(text)) throw malformed(scheme, 'value contains characters no hash of this scheme has');
  return parseText(scheme, text);
}

function parseText(scheme: string, text: string): ParsedHash {
  switch (scheme) {
    case 'ARGON2ID':
    case 'ARGON2I':
      return parseArgon2(scheme, text);
    case 'BLF-CRYPT':
      if (text.startsWith('$2x$')) throw unsupported(scheme, 'the $2x$ variant of pre-2011 crypt_blowfish');
      if (!BCRYPT.test(text)) throw malformed(scheme, 'not a $2y$/$2b$/$2a$ string with cost 04-31, 22 salt and 31 hash characters');
      return { kind: 'bcrypt', scheme, hash: text };
    case 'SHA256-CRYPT':
    case 'SHA512-CRYPT': {
      // Dovecot verifies these labels with libc crypt(), which goes by the value's own
      // $id$: `{SHA512-CRYPT}$5$...` verifies there, so it must here too.
      const actual = cryptSchemeOf(text);
      if (actual !== scheme && actual !== 'CRYPT' && !actual.startsWith('ARGON2')) {
        if (!SUPPORTED_SCHEMES.has(actual)) throw unsupported(actual, unsupportedWhy(actual));
        return parseText(actual, text);
      }
      return parseShaCrypt(scheme, text);
    }
    case 'MD5-CRYPT': {
      const m = MD5_CRYPT.exec(text);
      if (!m) throw malformed(scheme, 'not a $1$salt$hash string with a salt of up to 8 and a hash of 22 characters');
      return { kind: 'md5-crypt', scheme, salt: Buffer.from(m[1] ?? '', 'latin1'), digest: m[2] ?? '' };
    }
    case 'PBKDF2': {
      const m = PBKDF2.exec(text);
      const rounds = Number(m?.[2]);
      if (!m || !(rounds >= 1 && rounds <= 0xffffffff)) throw malformed(scheme, 'not a $1$salt$rounds$hex-sha1 string');
      return { kind: 'pbkdf2', scheme, salt: Buffer.from(m[1] ?? '', 'latin1'), rounds, key: Buffer.from(m[3] ?? '', 'hex') };
    }
  }
  throw unsupported(scheme, 'unknown scheme');
}

function decodeBytes(body: string, encoding: Encoding): Buffer | null {
  return encoding === 'hex' ? decodeHex(body) : decodeBase64(body);
}

function parseDigest(
  scheme: string,
  body: string,
  encoding: Encoding | null,
  d: { algorithm: DigestAlgorithm; size: number; salted: boolean },
): ParsedHash {
  let bytes: Buffer | null;
  if (encoding) bytes = decodeBytes(body, encoding);
  // Dovecot's guess (password_decode): an unsalted digest whose length is exactly twice
  // the digest size is hex, anything else base64; if the hex guess fails, try base64.
  else if (!d.salted && body.length === d.size * 2) bytes = decodeHex(body) ?? decodeBase64(body);
  else bytes = decodeBase64(body);
  if (!bytes) throw malformed(scheme, `value is not valid ${encoding ?? 'base64 or hex'}`);
  if (d.salted) {
    if (bytes.length <= d.size) throw malformed(scheme, `decoded value must be longer than the ${d.size}-byte digest`);
    return { kind: 'digest', scheme, algorithm: d.algorithm, digest: bytes.subarray(0, d.size), salt: bytes.subarray(d.size) };
  }
  if (bytes.length !== d.size) throw malformed(scheme, `decoded value must be exactly ${d.size} bytes`);
  return { kind: 'digest', scheme, algorithm: d.algorithm, digest: bytes, salt: null };
}

function parseArgon2(label: 'ARGON2ID' | 'ARGON2I', text: string): ParsedHash {
  // libsodium's verifier, which Dovecot uses for both labels, goes by the PHC string's
  // own algorithm, so `{ARGON2I}$argon2id$...` verifies in Dovecot and here.
  const scheme = text.startsWith('$argon2id$') ? 'ARGON2ID' : text.startsWith('$argon2i$') ? 'ARGON2I' : null;
  if (!scheme) throw malformed(label, 'value does not start with $argon2id$ or $argon2i$');
  try {
    argon2Options(text);
  } catch {
    throw malformed(label, 'not a valid argon2 PHC string');
  }
  return { kind: 'argon2', scheme, phc: text };
}

function parseShaCrypt(scheme: 'SHA256-CRYPT' | 'SHA512-CRYPT', text: string): ParsedHash {
  const bits = scheme === 'SHA256-CRYPT' ? 256 : 512;
  const m = SHA_CRYPT.exec(text);
  const digestLen = bits === 256 ? 43 : 86;
  if (!m || m[1] !== (bits === 256 ? '5' : '6') || m[4]?.length !== digestLen) {
    throw malformed(scheme, `not a $${bits === 256 ? 5 : 6}$[rounds=N$]salt$hash string with a ${digestLen}-character hash`);
  }
  const rounds = m[2] === undefined ? 5000 : Number(m[2]);
  // glibc clamps rounds= into range and prints the clamped value, so a stored value
  // outside the range cannot have come from crypt() and could never match.
  if (rounds < SHA_CRYPT_MIN_ROUNDS || rounds > SHA_CRYPT_MAX_ROUNDS) {
    throw malformed(scheme, `rounds must be between ${SHA_CRYPT_MIN_ROUNDS} and ${SHA_CRYPT_MAX_ROUNDS}`);
  }
  return {
    kind: 'sha-crypt',
    scheme,
    spec: { bits, rounds, roundsCustom: m[2] !== undefined, salt: Buffer.from(m[3] ?? '', 'latin1') },
    digest: m[4],
  };
}
