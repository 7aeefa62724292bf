/**
 * How a stored vault secret (a mailbox's reversible credential, a backend's master password) is
 * shown, by the CLI and the console alike: `set (key k1, changed …)`, `not set` or `UNREADABLE
 * (…)`, decided by actually decrypting it with the configured keyring, never by its header alone,
 * and never the value or the ciphertext (anchors-admin-secrets.md §4.2.5-6: no silent blank,
 * write-only fields).
 */
import { decrypt, describeUndecryptable, keyIdOf, type Binding, type Keyring } from '../vault/index.js';
import { masterSecretBinding, reversibleSecretBinding } from './secret-fields.js';
import type { Backend, Mailbox } from './types.js';

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

/** A mailbox's reversible credential (APOP, CRAM-MD5). */
export function credentialStatus(m: Mailbox, keyring: Keyring | null): SecretStatus {
  return secretStatus(m.reversibleSecret, reversibleSecretBinding(m.id), m.secretChangedAt, keyring);
}

/** A backend's master password. */
export function masterStatus(b: Backend, keyring: Keyring | null): SecretStatus {
  return secretStatus(b.masterSecret, masterSecretBinding(b.id), b.masterChangedAt, keyring);
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
