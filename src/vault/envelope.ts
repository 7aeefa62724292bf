/**
 * Envelope encryption with self-describing ciphertext (anchors-admin-secrets.md §4.2.1, §4.2.5).
 * Each secret gets its own random data key (DEK); the DEK is wrapped with the purpose subkey of
 * the active KEK; both layers are AES-256-GCM. The text says which format and which key made it,
 * so decrypting never tries keys in turn and `keys status` can count secrets per key cheaply.
 *
 * Format, version 1 (ASCII, '.'-separated; '.' cannot occur in a key id or in base64url):
 *
 *   pv1.<keyId>.<wrapped>.<sealed>
 *
 *   "pv1"      format version 1. "pv<digits>" with another number: 'unsupported-version'.
 *   <keyId>    the KEK id, [a-z0-9][a-z0-9-]{0,31}.
 *   <wrapped>  base64url without padding, exactly 80 characters = 60 bytes:
 *                bytes  0..11  GCM nonce (random)
 *                bytes 12..43  the DEK (32 random bytes), AES-256-GCM under subkey(KEK, purpose)
 *                bytes 44..59  GCM tag
 *   <sealed>   base64url without padding, 28 + n bytes for an n-byte secret:
 *                bytes  0..11      GCM nonce (random)
 *                bytes 12..12+n-1  the secret, AES-256-GCM under the DEK
 *                last 16 bytes     GCM tag
 *
 *   AAD of both layers = for each of ["pv1", keyId, purpose, table, recordId, field] in order:
 *   its UTF-8 byte length as a 4-byte big-endian integer, then the bytes. Length prefixes make
 *   the encoding unambiguous ("a.b"+"c" differs from "a"+"b.c"), so a ciphertext copied to
 *   another record, field, table or purpose, or relabelled with another key id, fails to verify.
 *
 * Base64url must be canonical (the decoder is lenient about the last character's spare bits,
 * so we re-encode and compare): every character of the text is covered by the checks.
 *
 * Contract: encrypt() throws VaultError on any failure, so the caller aborts the write and never
 * stores a secret in clear (FreeScout's Helper::encrypt returned the plaintext). decrypt() never
 * throws and never answers an empty plaintext for an error (FreeScout's silent blank).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { VaultError } from './errors.js';
import { KEY_ID_PATTERN, type Kek, type Keyring } from './keyring.js';
import { isPurpose, subkey, type Purpose, type SubkeyLabel } from './purposes.js';

export const FORMAT_VERSION = 1;
export const MAX_PLAINTEXT_BYTES = 65536;

/** Where a ciphertext lives. Use an id that never changes (a row id, not an address that may be renamed). */
export interface Binding {
  table: string;
  recordId: string;
  field: string;
}

export type UndecryptableReason = 'missing-key' | 'retired-key' | 'tampered-or-wrong-binding' | 'malformed' | 'unsupported-version';
export interface Undecryptable {
  ok: false;
  /** The key id the ciphertext names, or null when it names none we can read. */
  keyId: string | null;
  reason: UndecryptableReason;
}
export type DecryptResult = { ok: true; plaintext: Buffer } | Undecryptable;

const PREFIX = `pv${FORMAT_VERSION}`;
const NONCE = 12;
const TAG = 16;
const DEK = 32;
const WRAPPED_CHARS = 80; // base64url of NONCE + DEK + TAG = 60 bytes
const MAX_TEXT = PREFIX.length + 34 + WRAPPED_CHARS + 1 + Math.ceil(((NONCE + MAX_PLAINTEXT_BYTES + TAG) * 4) / 3);

/** Encrypts with the keyring's active key. Throws VaultError on anything wrong. */
export function encrypt(keyring: Keyring, purpose: Purpose, plaintext: Buffer, binding: Binding): string {
  if (!isPurpose(purpose)) throw new VaultError('invalid-purpose', 'purpose must be credentials, sessions or totp');
  if (keyring?.active?.state !== 'active') throw new VaultError('encrypt-failed', 'the keyring has no active key; nothing was written');
  return seal(keyring.active, purpose, plaintext, binding);
}

export function decrypt(keyring: Keyring, purpose: Purpose, ciphertext: string, binding: Binding): DecryptResult {
  return open(keyring, purpose, ciphertext, binding);
}

/** The key id a ciphertext names, without decrypting; null unless it is a well-formed pv1 header. */
export function keyIdOf(ciphertext: string): string | null {
  if (typeof ciphertext !== 'string') return null;
  const m = /^pv1\.([a-z0-9][a-z0-9-]{0,31})\./.exec(ciphertext);
  return m?.[1] ?? null;
}

/** True unless the ciphertext is current-format and names the active key. */
export function needsReencrypt(keyring: Keyring, ciphertext: string): boolean {
  return keyIdOf(ciphertext) !== keyring.active.id;
}

/**
 * For `secrets reencrypt`: decrypts and, when not already under the active key, encrypts again
 * with a new DEK. Undecryptable input comes back as is; an encryption failure throws.
 */
export function reencrypt(
  keyring: Keyring,
  purpose: Purpose,
  ciphertext: string,
  binding: Binding,
): { ok: true; ciphertext: string; changed: boolean } | Undecryptable {
  const opened = decrypt(keyring, purpose, ciphertext, binding);
  if (!opened.ok) return opened;
  try {
    if (!needsReencrypt(keyring, ciphertext)) return { ok: true, ciphertext, changed: false };
    return { ok: true, ciphertext: encrypt(keyring, purpose, opened.plaintext, binding), changed: true };
  } finally {
    opened.plaintext.fill(0);
  }
}

/** Operator wording for an unreadable secret: for the console badge and log lines. Never blank. */
export function describeUndecryptable(u: Undecryptable): string {
  const key = u.keyId === null ? 'its key' : `key ${u.keyId}`;
  switch (u.reason) {
    case 'missing-key':
      return `unreadable: ${key} is not configured (add it as decrypt-only, or reset this secret)`;
    case 'retired-key':
      return `unreadable: ${key} is retired (set it back to decrypt-only, or reset this secret)`;
    case 'tampered-or-wrong-binding':
      return `unreadable: does not verify under ${key} (damaged, copied from another record, or ${key} was replaced)`;
    case 'malformed':
      return 'unreadable: not a Postern vault ciphertext';
    case 'unsupported-version':
      return 'unreadable: written in a format this Postern version does not know (by a newer version?)';
  }
}

/** Encrypts under one given key. Vault-internal (canaries use it with label 'canary'). */
export function seal(kek: Kek, label: SubkeyLabel, plaintext: Buffer, binding: Binding): string {
  if (!(plaintext instanceof Uint8Array)) throw new VaultError('invalid-plaintext', 'the secret must be a Buffer');
  if (plaintext.length > MAX_PLAINTEXT_BYTES) throw new VaultError('invalid-plaintext', `the secret is longer than ${MAX_PLAINTEXT_BYTES} bytes`);
  if (!validBinding(binding)) throw new VaultError('invalid-binding', 'table, recordId and field must be non-empty strings');
  const dek = randomBytes(DEK);
  try {
    const aad = encodeAad(kek.id, label, binding);
    const wrapped = gcmSeal(subkey(kek, label), dek, aad);
    const sealed = gcmSeal(dek, plaintext, aad);
    return `${PREFIX}.${kek.id}.${wrapped.toString('base64url')}.${sealed.toString('base64url')}`;
  } catch (err) {
    throw new VaultError('encrypt-failed', `encryption with key ${kek.id} failed (${(err as Error).name}); nothing was written`);
  } finally {
    dek.fill(0);
  }
}

/** Decrypts with whichever key of `keyring` the ciphertext names. Vault-internal; never throws. */
export function open(keyring: Keyring, label: SubkeyLabel, ciphertext: string, binding: Binding): DecryptResult {
  try {
    const parsed = parse(ciphertext);
    if ('reason' in parsed) return parsed;
    const { keyId, wrapped, sealed } = parsed;
    const kek = keyring.get(keyId);
    if (!kek) return { ok: false, keyId, reason: 'missing-key' };
    if (kek.state === 'retired') return { ok: false, keyId, reason: 'retired-key' };
    if (!validBinding(binding) || (label !== 'canary' && !isPurpose(label))) {
      return { ok: false, keyId, reason: 'tampered-or-wrong-binding' };
    }
    const aad = encodeAad(keyId, label, binding);
    const dek = gcmOpen(subkey(kek, label), wrapped, aad);
    if (!dek) return { ok: false, keyId, reason: 'tampered-or-wrong-binding' };
    try {
      const plaintext = gcmOpen(dek, sealed, aad);
      return plaintext ? { ok: true, plaintext } : { ok: false, keyId, reason: 'tampered-or-wrong-binding' };
    } finally {
      dek.fill(0);
    }
  } catch {
    // Unreachable with a Keyring from this module; kept so that decrypt honours "never throws".
    return { ok: false, keyId: keyIdOf(ciphertext), reason: 'malformed' };
  }
}

type Parsed = { keyId: string; wrapped: Buffer; sealed: Buffer };

function parse(text: unknown): Parsed | Undecryptable {
  if (typeof text !== 'string' || text.length > MAX_TEXT) return { ok: false, keyId: null, reason: 'malformed' };
  const parts = text.split('.');
  const version = /^pv(\d{1,9})$/.exec(parts[0] ?? '');
  if (!version) return { ok: false, keyId: null, reason: 'malformed' };
  if (version[1] !== String(FORMAT_VERSION)) return { ok: false, keyId: null, reason: 'unsupported-version' };
  const keyId = parts[1];
  if (keyId === undefined || !KEY_ID_PATTERN.test(keyId)) return { ok: false, keyId: null, reason: 'malformed' };
  const wrapped = parts.length === 4 && parts[2]?.length === WRAPPED_CHARS ? base64url(parts[2]) : null;
  const sealed = parts.length === 4 ? base64url(parts[3] ?? '') : null;
  if (!wrapped || !sealed || sealed.length < NONCE + TAG) return { ok: false, keyId, reason: 'malformed' };
  return { keyId, wrapped, sealed };
}

function base64url(text: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

function validBinding(b: Binding): boolean {
  return (
    typeof b === 'object' && b !== null &&
    [b.table, b.recordId, b.field].every((v) => typeof v === 'string' && v.length > 0)
  );
}

function encodeAad(keyId: string, label: SubkeyLabel, b: Binding): Buffer {
  const parts = [PREFIX, keyId, label, b.table, b.recordId, b.field].map((s) => {
    const bytes = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    return Buffer.concat([len, bytes]);
  });
  return Buffer.concat(parts);
}

function gcmSeal(key: Buffer, plaintext: Uint8Array, aad: Buffer): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** null when the tag does not verify. */
function gcmOpen(key: Buffer, box: Buffer, aad: Buffer): Buffer | null {
  const nonce = box.subarray(0, NONCE);
  const body = box.subarray(NONCE, box.length - TAG);
  const tag = box.subarray(box.length - TAG);
  let head: Buffer | null = null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    head = decipher.update(body);
    return Buffer.concat([head, decipher.final()]);
  } catch {
    return null;
  } finally {
    head?.fill(0); // unverified output, or the copy already concatenated
  }
}
