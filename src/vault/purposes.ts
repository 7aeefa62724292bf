/**
 * Purpose separation: no key is ever used for two jobs (anchors-admin-secrets.md §4.2.2).
 *
 * Design, in two layers:
 *
 * 1. Derived subkeys. A KEK never encrypts anything itself. Each use derives its own subkey
 *      subkey(KEK, label) = HKDF-SHA256(ikm = KEK, salt = "postern-vault/v1",
 *                                       info = "postern-vault/v1 subkey " + label, 32 bytes)
 *    with label = credentials | sessions | totp | canary (the last for canaries only). So even
 *    one KEK serving every purpose yields independent keys, and a ciphertext of one purpose never
 *    decrypts as another (the purpose is also in the AAD, see envelope.ts).
 *
 * 2. A keyring per purpose, when wanted. Derivation alone does not make rotation independent:
 *    with one shared keyring, rotating and then retiring a KEK would strand every purpose it
 *    served. So each purpose may have its own keyring (`purposeKeyrings(shared, { sessions })`):
 *    rotating the sessions keyring, even retiring its old key at once (everyone logs in again),
 *    never touches stored credentials, whose keyring is separate (Gitea: "other tokens are safe to
 *    change"; Grafana #15348). Purposes without their own keyring use the shared one, which is
 *    the simple default. Key ids must be unique across keyrings, because the ids name files,
 *    POSTERN_KEY_<ID> variables and canaries.
 *
 * We chose derivation + optional per-purpose keyrings over per-purpose key states inside one
 * keyring ("k1 active for sessions, decrypt-only for credentials"): that would make "exactly one
 * active" a per-purpose rule and every status message twice as hard to read.
 */
import { hkdfSync } from 'node:crypto';
import { VaultError } from './errors.js';
import { keyMaterial, type Kek, type Keyring } from './keyring.js';

export const PURPOSES = ['credentials', 'sessions', 'totp'] as const;
/** credentials: mailbox and backend secrets; sessions: admin sessions; totp: TOTP seeds. */
export type Purpose = (typeof PURPOSES)[number];
/** Purposes plus the canary's own label. Vault-internal. */
export type SubkeyLabel = Purpose | 'canary';

export function isPurpose(value: unknown): value is Purpose {
  return typeof value === 'string' && (PURPOSES as readonly string[]).includes(value);
}

const SALT = Buffer.from('postern-vault/v1', 'utf8');
const cache = new WeakMap<Kek, Map<SubkeyLabel, Buffer>>();

/** subkey(KEK, label), cached per key object. Vault-internal: not exported from index.ts. */
export function subkey(kek: Kek, label: SubkeyLabel): Buffer {
  let perKek = cache.get(kek);
  if (!perKek) cache.set(kek, (perKek = new Map()));
  let key = perKek.get(label);
  if (!key) {
    const info = Buffer.from(`postern-vault/v1 subkey ${label}`, 'utf8');
    key = Buffer.from(hkdfSync('sha256', keyMaterial(kek), SALT, info, 32));
    perKek.set(label, key);
  }
  return key;
}

export type PurposeKeyrings = Readonly<Record<Purpose, Keyring>>;

/**
 * The keyring of each purpose: its own if given, else `shared`. Throws VaultError
 * ('keyring-conflict') if two different keyrings share a key id.
 */
export function purposeKeyrings(shared: Keyring, own: Partial<Record<Purpose, Keyring>> = {}): PurposeKeyrings {
  const chosen = Object.fromEntries(PURPOSES.map((p) => [p, own[p] ?? shared])) as Record<Purpose, Keyring>;
  const owner = new Map<string, { ring: Keyring; purpose: Purpose }>();
  const clashes: string[] = [];
  for (const p of PURPOSES) {
    for (const k of chosen[p].keys) {
      const first = owner.get(k.id);
      if (!first) owner.set(k.id, { ring: chosen[p], purpose: p });
      else if (first.ring !== chosen[p]) clashes.push(`key id "${k.id}" is in both the ${first.purpose} and the ${p} keyring`);
    }
  }
  if (clashes.length > 0) throw new VaultError('keyring-conflict', `${clashes.join('; ')}: give each key its own id`);
  return Object.freeze(chosen);
}
