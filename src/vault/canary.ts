/**
 * Canaries: proof that the key configured under an id is the key that wrote the data naming
 * that id (anchors-admin-secrets.md §4.2.4, Hoppscotch's refusal). FreeScout's failure was a
 * replaced APP_KEY: same name, different bytes, every secret silently blank. A canary is a fixed
 * plaintext sealed under one KEK with the fixed binding (vault_canaries, <keyId>, canary) and
 * its own subkey label, stored by the caller, one row per key id.
 *
 * Write a canary only for a key id that has none (checkCanaries says 'no-canary'), and never
 * replace one that fails: the failing canary is the evidence. startupCheck() tells the caller
 * which ids to write.
 */
import { timingSafeEqual } from 'node:crypto';
import { VaultError } from './errors.js';
import { open, seal, type Binding } from './envelope.js';
import type { KeyState, Keyring } from './keyring.js';

export const CANARY_PLAINTEXT = Buffer.from('postern vault canary v1', 'utf8');

export interface StoredCanary {
  keyId: string;
  ciphertext: string;
}

/**
 * proven: the canary verifies. missing: a stored canary names an id the keyring lacks.
 * wrong-key: the keyring's key with that id does not verify the canary (the key was replaced,
 * or the canary row was damaged). no-canary: a usable key with no stored canary yet.
 * retired: a retired key (never checked).
 */
export type CanaryStatus = 'proven' | 'missing' | 'wrong-key' | 'no-canary' | 'retired';

export interface CanaryReport {
  keyId: string;
  status: CanaryStatus;
  /** The key's state in the keyring, or null when the keyring lacks the id. */
  state: KeyState | null;
}

export function canaryBinding(keyId: string): Binding {
  return { table: 'vault_canaries', recordId: keyId, field: 'canary' };
}

/** Throws VaultError for an id the keyring lacks or has retired. */
export function makeCanary(keyring: Keyring, keyId: string): StoredCanary {
  const kek = keyring.get(keyId);
  if (!kek) throw new VaultError('unknown-key', `no key "${keyId}" in the keyring`);
  if (kek.state === 'retired') throw new VaultError('retired-key', `key "${keyId}" is retired`);
  return { keyId, ciphertext: seal(kek, 'canary', CANARY_PLAINTEXT, canaryBinding(keyId)) };
}

/** One report per key id in the keyring or in `stored`: keyring order first, then the rest. */
export function checkCanaries(keyring: Keyring, stored: readonly StoredCanary[]): CanaryReport[] {
  const rows = new Map<string, string[]>();
  for (const c of stored) rows.set(c.keyId, [...(rows.get(c.keyId) ?? []), c.ciphertext]);
  const reports: CanaryReport[] = keyring.keys.map((kek) => {
    const mine = rows.get(kek.id);
    const report = (status: CanaryStatus): CanaryReport => ({ keyId: kek.id, status, state: kek.state });
    if (kek.state === 'retired') return report('retired');
    if (!mine) return report('no-canary');
    return report(mine.every((ct) => proves(keyring, kek.id, ct)) ? 'proven' : 'wrong-key');
  });
  for (const keyId of rows.keys()) {
    if (!keyring.get(keyId)) reports.push({ keyId, status: 'missing', state: null });
  }
  return reports;
}

function proves(keyring: Keyring, keyId: string, ciphertext: string): boolean {
  const r = open(keyring, 'canary', ciphertext, canaryBinding(keyId));
  if (!r.ok) return false;
  const same = r.plaintext.length === CANARY_PLAINTEXT.length && timingSafeEqual(r.plaintext, CANARY_PLAINTEXT);
  return same;
}
