/**
 * The vault's public surface: secrets Postern must read back (APOP/CRAM-MD5 cleartexts, backend
 * master passwords, later TOTP seeds), encrypted under a keyring of rotating keys, with a
 * start-up check that refuses to run on the wrong keys. Pure: no database, CLI or server here;
 * callers store the ciphertexts and canaries and count secrets per key id. Other modules import
 * only from this file (keyMaterial, subkey, seal and open stay internal).
 */
export { VaultError, KeyringError, type VaultErrorCode, type KeyringProblem, type KeyringProblemCode } from './errors.js';
export {
  loadKeyring,
  createKeyring,
  parseKeyText,
  generateKey,
  keyEnvName,
  KEY_BYTES,
  KEY_ID_PATTERN,
  KEY_STATES,
  type Kek,
  type Keyring,
  type KeyringResult,
  type KeySpec,
  type KeyEntry,
  type KeySource,
  type KeyState,
} from './keyring.js';
export { PURPOSES, isPurpose, purposeKeyrings, type Purpose, type PurposeKeyrings } from './purposes.js';
export {
  encrypt,
  decrypt,
  reencrypt,
  keyIdOf,
  needsReencrypt,
  describeUndecryptable,
  FORMAT_VERSION,
  MAX_PLAINTEXT_BYTES,
  type Binding,
  type DecryptResult,
  type Undecryptable,
  type UndecryptableReason,
} from './envelope.js';
export { makeCanary, checkCanaries, canaryBinding, CANARY_PLAINTEXT, type StoredCanary, type CanaryReport, type CanaryStatus } from './canary.js';
export {
  startupCheck,
  DEGRADED_FLAG,
  DEGRADED_SETTING,
  KEYS_SETTING,
  type StartupCheckInput,
  type StartupCheckResult,
} from './startup-check.js';
