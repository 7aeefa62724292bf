/**
 * The keyring: the key-encryption keys (KEKs) Postern holds, each 32 random bytes with an id
 * and a state, loaded from key files or POSTERN_KEY_<ID> and checked as a whole before use.
 *
 *   active        new ciphertexts use it; exactly one key is active.
 *   decrypt-only  old ciphertexts still decrypt (Laravel's APP_PREVIOUS_KEYS, Rails' key list),
 *                 chosen by the key id inside the ciphertext, never by trial decryption.
 *   retired       the id is known and refused: anything still naming it reports 'retired-key'
 *                 rather than 'missing-key'. Its material is not read, so its file may be gone.
 *
 * Every problem is collected and reported at once, each with what to do (anchors-admin-secrets.md
 * §4.2.2). Key bytes never leave this file except through `keyMaterial()`, which only the vault's
 * own modules import (index.ts does not export it). A Kek is a plain {id, state, source} object,
 * so printing or serialising one shows no key; messages name ids, paths and lengths only. A
 * config value that fails the id syntax is not echoed either: it may be a key pasted in the
 * wrong field.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { KeyringError, type KeyringProblem } from './errors.js';

export const KEY_BYTES = 32;
export const KEY_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const KEY_STATES = ['active', 'decrypt-only', 'retired'] as const;
export type KeyState = (typeof KEY_STATES)[number];

/** Where a key's bytes came from ('none' for a retired key, whose bytes are never read). */
export type KeySource = 'file' | 'env' | 'given' | 'none';

/** One configured key, as the config file lists it. */
export interface KeySpec {
  id: string;
  state: KeyState;
  /** A file holding the key as base64 or base64url text of 32 bytes on one line. */
  file?: string;
}

export interface Kek {
  readonly id: string;
  readonly state: KeyState;
  readonly source: KeySource;
}

export interface Keyring {
  readonly active: Kek;
  /** Every configured key, in configuration order, retired ones included. */
  readonly keys: readonly Kek[];
  get(id: string): Kek | undefined;
}

export type KeyringResult = { ok: true; keyring: Keyring } | { ok: false; error: KeyringError };

/** A key already in memory: for tests and for tools that build a keyring themselves. */
export interface KeyEntry {
  id: string;
  state: KeyState;
  material?: Uint8Array;
}

const materials = new WeakMap<Kek, Buffer>();

/** The bytes of a non-retired key. Vault-internal: not exported from index.ts. */
export function keyMaterial(kek: Kek): Buffer {
  const m = materials.get(kek);
  if (!m) throw new Error(`key ${kek.id} has no material in this process (retired, or not from a keyring)`);
  return m;
}

/** The environment variable that may hold key `id`: POSTERN_KEY_K1, POSTERN_KEY_2026_11. */
export function keyEnvName(id: string): string {
  return `POSTERN_KEY_${id.toUpperCase().replace(/-/g, '_')}`;
}

export function createKeyring(entries: readonly KeyEntry[]): KeyringResult {
  return build(entries.map((e) => ({ ...e, source: 'given' as const, sourceProblem: false })), []);
}

/**
 * Reads each non-retired key from its file or from POSTERN_KEY_<ID> (exactly one of the two),
 * then checks the whole keyring. `readFile` is `(p) => readFileSync(p)` in production.
 */
export function loadKeyring(
  specs: readonly KeySpec[],
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string | Uint8Array,
): KeyringResult {
  const problems: KeyringProblem[] = [];
  const entries: Candidate[] = specs.map((spec) => {
    const base = { id: spec.id, state: spec.state, source: 'none' as KeySource, sourceProblem: false };
    if (spec.state === 'retired' || !validId(spec.id)) return base;
    const envName = keyEnvName(spec.id);
    const fromEnv = env[envName];
    const fail = (code: KeyringProblem['code'], message: string): Candidate => {
      problems.push({ code, keyId: spec.id, message });
      return { ...base, sourceProblem: true };
    };
    if (spec.file !== undefined && fromEnv !== undefined) {
      return fail('two-sources', `key "${spec.id}" is given both by file ${spec.file} and by ${envName}: keep one, so it is clear which key is used`);
    }
    if (spec.file === undefined && fromEnv === undefined) {
      return fail('no-material', `key "${spec.id}" (${spec.state}) has no key: set file = "/etc/postern/keys/${spec.id}.key" for it, or set ${envName}`);
    }
    let text: string;
    const where = spec.file !== undefined ? `file ${spec.file}` : envName;
    if (spec.file !== undefined) {
      try {
        const raw = readFile(spec.file);
        text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        return code === 'ENOENT'
          ? fail('missing-file', `key "${spec.id}": ${where} does not exist: restore it from your key backup (a database backup is useless without its keys)`)
          : fail('unreadable-file', `key "${spec.id}": cannot read ${where} (${code}): it must be a file readable by the user Postern runs as`);
      }
    } else {
      text = fromEnv ?? '';
    }
    const parsed = parseKeyText(text);
    if (!parsed.ok) return fail(parsed.code, `key "${spec.id}" (${where}): ${parsed.detail}`);
    return { ...base, source: spec.file !== undefined ? 'file' : 'env', material: parsed.key };
  });
  return build(entries, problems);
}

type KeyTextResult = { ok: true; key: Buffer } | { ok: false; code: 'not-base64' | 'wrong-length'; detail: string };

const EXPECTED = 'expected the 32-byte key as base64 or base64url text on one line (e.g. from `openssl rand -base64 32`)';

/** Parses key text: one line of base64 or base64url (padding optional) decoding to 32 bytes. */
export function parseKeyText(text: string): KeyTextResult {
  const t = text.trim();
  if (t === '') return { ok: false, code: 'not-base64', detail: `it is empty; ${EXPECTED}` };
  if (/\s/.test(t)) return { ok: false, code: 'not-base64', detail: `it has more than one line or word; ${EXPECTED}` };
  if (/^[0-9a-fA-F]{64}$/.test(t)) {
    return { ok: false, code: 'not-base64', detail: `it looks like 64 hex digits; ${EXPECTED}; convert hex with \`xxd -r -p | base64\`` };
  }
  const std = /^[A-Za-z0-9+/]+={0,2}$/.test(t);
  const url = /^[A-Za-z0-9_-]+={0,2}$/.test(t);
  if (!std && !url) return { ok: false, code: 'not-base64', detail: `it has characters that are not base64; ${EXPECTED}` };
  const key = Buffer.from(t, std ? 'base64' : 'base64url');
  if (key.length !== KEY_BYTES) {
    return { ok: false, code: 'wrong-length', detail: `it decodes to ${key.length} bytes, not ${KEY_BYTES}; ${EXPECTED}` };
  }
  // Reject non-canonical text (stray bits in the last character), so one key has one spelling.
  const again = key.toString(std ? 'base64' : 'base64url').replace(/=+$/, '');
  if (again !== t.replace(/=+$/, '')) return { ok: false, code: 'not-base64', detail: `its last character is not a valid ending; ${EXPECTED}` };
  return { ok: true, key };
}

/** A new key for `keys rotate`: an unused id (the UTC date, then -2, -3, ...) and base64 text. */
export function generateKey(options: { existingIds?: readonly string[]; now?: Date } = {}): { id: string; text: string } {
  const taken = new Set(options.existingIds ?? []);
  const day = (options.now ?? new Date()).toISOString().slice(0, 10);
  let id = day;
  for (let n = 2; taken.has(id); n++) id = `${day}-${n}`;
  return { id, text: randomBytes(KEY_BYTES).toString('base64') };
}

interface Candidate {
  id: string;
  state: KeyState;
  source: KeySource;
  material?: Uint8Array;
  /** A problem with this key's file or variable was already reported. */
  sourceProblem: boolean;
}

function validId(id: unknown): id is string {
  return typeof id === 'string' && KEY_ID_PATTERN.test(id);
}

function build(candidates: readonly Candidate[], problems: KeyringProblem[]): KeyringResult {
  const seen = new Map<string, number>();
  const keys: Kek[] = [];
  const active: string[] = [];
  const held: Array<{ id: string; bytes: Buffer }> = [];
  candidates.forEach((c, i) => {
    if (!validId(c.id)) {
      problems.push({
        code: 'invalid-id',
        keyId: null,
        message: `key #${i + 1} has an invalid id: use 1-32 lower-case letters, digits and "-", starting with a letter or digit (e.g. k1, 2026-11)`,
      });
      return;
    }
    seen.set(c.id, (seen.get(c.id) ?? 0) + 1);
    if (!(KEY_STATES as readonly string[]).includes(c.state)) {
      problems.push({ code: 'invalid-state', keyId: c.id, message: `key "${c.id}": state must be active, decrypt-only or retired` });
      return;
    }
    if (c.state === 'active') active.push(c.id);
    const kek: Kek = Object.freeze({ id: c.id, state: c.state, source: c.state === 'retired' ? 'none' : c.source });
    keys.push(kek);
    if (c.state === 'retired' || c.sourceProblem) return;
    if (!c.material) {
      problems.push({ code: 'no-material', keyId: c.id, message: `key "${c.id}" (${c.state}) has no key bytes` });
      return;
    }
    const bytes = Buffer.from(c.material); // a private copy
    if (bytes.length !== KEY_BYTES) {
      problems.push({ code: 'wrong-length', keyId: c.id, message: `key "${c.id}" is ${bytes.length} bytes, not ${KEY_BYTES}` });
      return;
    }
    if (bytes.every((b) => b === 0)) {
      problems.push({ code: 'weak-key', keyId: c.id, message: `key "${c.id}" is all zero bytes: generate a random one (\`openssl rand -base64 32\`)` });
      return;
    }
    const twin = held.find((h) => timingSafeEqual(h.bytes, bytes));
    if (twin) {
      problems.push({
        code: 'same-material',
        keyId: c.id,
        message: `keys "${twin.id}" and "${c.id}" hold the same key: a rotated key must be new random bytes, not a copy`,
      });
    }
    held.push({ id: c.id, bytes });
    materials.set(kek, bytes);
  });
  for (const [id, n] of seen) {
    if (n > 1) problems.push({ code: 'duplicate-id', keyId: id, message: `key id "${id}" is listed ${n} times: each key needs its own id` });
  }
  if (candidates.length === 0) {
    problems.push({
      code: 'no-active',
      keyId: null,
      message:
        'no vault keys are configured: create one with `openssl rand -base64 32 > /etc/postern/keys/k1.key` and list it as { id = "k1", state = "active", file = "/etc/postern/keys/k1.key" }',
    });
  } else if (active.length === 0) {
    problems.push({ code: 'no-active', keyId: null, message: 'no key is active: mark exactly one key state = "active" (new secrets are encrypted with it)' });
  } else if (active.length > 1) {
    problems.push({
      code: 'several-active',
      keyId: null,
      message: `keys ${active.map((id) => `"${id}"`).join(', ')} are all active: exactly one may be; keep the newest active and make the others decrypt-only`,
    });
  }
  const activeKek = keys.find((k) => k.state === 'active');
  if (problems.length > 0 || !activeKek) return { ok: false, error: new KeyringError(problems) };
  const byId = new Map(keys.map((k) => [k.id, k]));
  const keyring: Keyring = Object.freeze({ active: activeKek, keys: Object.freeze(keys), get: (id: string) => byId.get(id) });
  return { ok: true, keyring };
}
