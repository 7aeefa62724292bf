/**
 * How the CLI shows a stored secret (a mailbox's reversible credential, a backend's master
 * password): `set (key k1, changed …)`, `not set` or `UNREADABLE (…)`, decided by actually
 * decrypting it with the configured keyring, never by its header alone, and never the value
 * or the ciphertext (anchors-admin-secrets.md §4.2.5-6: no silent blank, write-only fields).
 */
import { decrypt, describeUndecryptable, keyIdOf, type Binding, type Keyring } from '../vault/index.js';

export interface SecretStatus {
  state: 'set' | 'not-set' | 'unreadable';
  keyId: string | null;
  changedAt: string | null;
  /** For `unreadable`: what is wrong and what to do (describeUndecryptable's wording). */
  problem?: string;
}

export function secretStatus(ciphertext: string | null, binding: Binding, changedAt: string | null, keyring: Keyring | null): SecretStatus {
  if (ciphertext === null) return { state: 'not-set', keyId: null, changedAt };
  const opened = keyring
    ? decrypt(keyring, 'credentials', ciphertext, binding)
    : ({ ok: false, keyId: keyIdOf(ciphertext), reason: 'missing-key' } as const);
  if (opened.ok) {
    opened.plaintext.fill(0);
    return { state: 'set', keyId: keyIdOf(ciphertext), changedAt };
  }
  return { state: 'unreadable', keyId: opened.keyId, changedAt, problem: describeUndecryptable(opened) };
}

/** One line for `show` and `list`; `fix` says how to set it again or remove it. */
export function describeSecretStatus(s: SecretStatus, fix: string): string {
  switch (s.state) {
    case 'not-set':
      return 'not set';
    case 'set':
      return `set (key ${s.keyId ?? '?'}, changed ${s.changedAt ?? 'unknown'})`;
    case 'unreadable':
      return `UNREADABLE (${(s.problem ?? 'unreadable').replace(/^unreadable: /, '')}; changed ${s.changedAt ?? 'unknown'}; ${fix})`;
  }
}
