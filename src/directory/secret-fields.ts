/**
 * Every field that holds a vault secret, in one registry, so the bookkeeping that must cover
 * all of them (counting per key id for the start-up check and `keys status`, `secrets
 * reencrypt`, `secrets reset`, `keys retire`) reads this list instead of naming fields one by
 * one: a new secret field added here is covered everywhere, and one left out is not silently
 * forgotten by a copy of the code.
 *
 * Each ciphertext is bound (AAD) to its table, its row id (which never changes, unlike an
 * address or a backend name) and its column, so a value copied to another row or field fails
 * to decrypt. Each names its vault purpose: `credentials` for what is handed to nginx and
 * backends, `totp` for the console admins' TOTP seeds (a separate subkey, so a seed can never be
 * opened as a credential or the other way round; src/vault/purposes.ts).
 */
import type { Binding, Purpose } from '../vault/index.js';

export const SECRET_FIELDS = {
  'mailbox-credential': {
    table: 'mailboxes',
    column: 'reversible_secret',
    /** Column that says when the secret was last set or cleared. */
    changedAt: 'secret_changed_at',
    /** The row's own "last changed" column, touched when a reset clears the secret; null: none. */
    updatedAt: 'updated_at',
    /** Column that names the row for people: shown in listings, never secret. */
    ownerColumn: 'address',
    /** What precedes the owner in listings ("backend imap1"); an address needs nothing. */
    ownerLabel: '',
    purpose: 'credentials',
    what: 'reversible credential',
    setAgain: 'postern mailbox secret set <address>',
  },
  'backend-master': {
    table: 'backends',
    column: 'master_secret',
    changedAt: 'master_changed_at',
    updatedAt: null,
    ownerColumn: 'name',
    ownerLabel: 'backend ',
    purpose: 'credentials',
    what: 'master password',
    setAgain: 'postern backend master set <backend> --user <master user>',
  },
  'admin-totp': {
    table: 'admins',
    column: 'totp_secret',
    changedAt: 'totp_changed_at',
    // admins.updated_at says when the password changed; a cleared seed does not touch it.
    updatedAt: null,
    ownerColumn: 'name',
    ownerLabel: 'admin ',
    purpose: 'totp',
    what: 'TOTP secret',
    // 2FA stays on after a reset (only recovery codes pass) until the operator resets it.
    setAgain: 'postern admin 2fa reset <admin>, then the admin enrols again in the console',
  },
} as const satisfies Record<string, { purpose: Purpose } & Record<string, unknown>>;

export type SecretField = keyof typeof SECRET_FIELDS;

/** One stored secret as the bookkeeping sees it: which field, which row, and the ciphertext. */
export interface StoredSecret {
  field: SecretField;
  id: number;
  /** The mailbox address or backend name. */
  owner: string;
  ciphertext: string;
}

export function secretBinding(field: SecretField, id: number): Binding {
  const f = SECRET_FIELDS[field];
  return { table: f.table, recordId: String(id), field: f.column };
}

/** What a mailbox's reversible credential is bound to: its row id, not its address. */
export function reversibleSecretBinding(mailboxId: number): Binding {
  return secretBinding('mailbox-credential', mailboxId);
}

/** What a backend's master password is bound to: its row id, not its name (backends can be renamed). */
export function masterSecretBinding(backendId: number): Binding {
  return secretBinding('backend-master', backendId);
}

/** What an admin's TOTP seed is bound to: the admin's row id. */
export function totpSecretBinding(adminId: number): Binding {
  return secretBinding('admin-totp', adminId);
}

/** `alice@example.com (reversible credential)`, `backend imap1 (master password)`, `admin root (TOTP secret)`: for listings. */
export function describeSecretOwner(field: SecretField, owner: string): string {
  const f = SECRET_FIELDS[field];
  return `${f.ownerLabel}${owner} (${f.what})`;
}
