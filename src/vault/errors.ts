/**
 * The vault's two error types. Both are thrown only on the write side or at configuration
 * time (decrypting returns a typed result instead). Their messages are built from key ids,
 * file paths, lengths and fixed words, never from key bytes or plaintext, so they can be
 * logged and shown to operators as is (style.md §4.15: no secrets in error messages).
 */

export type VaultErrorCode =
  | 'keyring-invalid' // loadKeyring/createKeyring found problems (see KeyringError.problems)
  | 'keyring-conflict' // two purpose keyrings share a key id
  | 'invalid-purpose'
  | 'invalid-binding' // table, recordId or field missing or empty
  | 'invalid-plaintext' // not bytes, or larger than MAX_PLAINTEXT_BYTES
  | 'unknown-key' // makeCanary for an id the keyring does not have
  | 'retired-key' // makeCanary for a retired key
  | 'encrypt-failed'; // the AEAD itself failed: the caller must abort the write

export class VaultError extends Error {
  override readonly name: string = 'VaultError';
  readonly code: VaultErrorCode;

  constructor(code: VaultErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

export type KeyringProblemCode =
  | 'invalid-id'
  | 'invalid-state'
  | 'duplicate-id'
  | 'missing-file' // the key file does not exist
  | 'unreadable-file' // it exists but cannot be read (permissions, a directory, ...)
  | 'two-sources' // both a file and POSTERN_KEY_<ID>
  | 'no-material' // neither a file nor POSTERN_KEY_<ID>
  | 'not-base64'
  | 'wrong-length'
  | 'weak-key' // all zero bytes
  | 'same-material' // two ids hold the same key
  | 'no-active'
  | 'several-active';

/** One thing wrong with the keyring configuration; `message` says what to do about it. */
export interface KeyringProblem {
  code: KeyringProblemCode;
  /** The key id concerned, or null for a whole-keyring problem or an id too malformed to repeat. */
  keyId: string | null;
  message: string;
}

export class KeyringError extends VaultError {
  override readonly name = 'KeyringError';
  readonly problems: readonly KeyringProblem[];

  constructor(problems: readonly KeyringProblem[]) {
    const n = problems.length;
    super('keyring-invalid', `the vault keyring has ${n} problem${n === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`);
    this.problems = problems;
  }
}
