/**
 * Setting a backend's master login, the one way the CLI and the console both do it: the vault
 * must be on, the password must be something nginx can send as Auth-Pass, and it is sealed with
 * the active key, bound to the backend's row id, before the store sees it; if anything fails,
 * nothing is written. The caller zeroes the password buffer afterwards.
 */
import { reversibleSecretProblem } from '../decision/challenge.js';
import { encrypt, type Keyring } from '../vault/index.js';
import { masterSecretBinding } from './secret-fields.js';
import { DirectoryError, type Backend, type DirectoryAdmin } from './types.js';

/** Why a secret cannot be stored: the vault is off. `what` names it ("a master password"). */
export function vaultOffMessage(what: string): string {
  return (
    `the vault is off (no [vault] keys in the configuration), so ${what} cannot be stored: ` +
    'add a key, e.g. keys = [{ id = "k1", state = "active", file = "postern-data/keys/k1.key" }] with the file made by `openssl rand -base64 32`, and restart Postern'
  );
}

/** A secret was to be stored while the vault is off (no keyring): a configuration problem, not the caller's input. */
export class VaultOffError extends Error {
  readonly code = 'vault-off';
  constructor(what: string) {
    super(vaultOffMessage(what));
    this.name = 'VaultOffError';
  }
}

export interface MasterLoginInput {
  user: string;
  /** Dovecot's auth_master_user_separator; the store's default `*` when absent. */
  separator?: string;
  password: Buffer;
}

/** Seals the master password under the active vault key and stores the master login. */
export async function setMasterLogin(
  dir: Pick<DirectoryAdmin, 'getBackend' | 'setBackendMaster'>,
  ring: Keyring | null,
  name: string,
  login: MasterLoginInput,
): Promise<Backend> {
  if (!ring) throw new VaultOffError('a master password');
  const problem = reversibleSecretProblem(login.password);
  if (problem) throw new DirectoryError('invalid', `the master password cannot be used: ${problem}; nothing was changed`);
  const current = await dir.getBackend(name);
  if (!current) throw new DirectoryError('not-found', `backend "${name.trim().toLowerCase()}" does not exist (see "postern backend list")`);
  // Bound to the row id, not the name: a renamed backend keeps its password, a copied ciphertext fails.
  const ciphertext = encrypt(ring, 'credentials', login.password, masterSecretBinding(current.id));
  return dir.setBackendMaster(current.name, { user: login.user, ciphertext, ...(login.separator !== undefined ? { separator: login.separator } : {}) });
}
