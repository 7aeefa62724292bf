/**
 * The passwords module's public surface: verifying Dovecot-style stored hashes, making
 * Postern's own argon2id hashes, and reading Dovecot passwd-files. Other modules import
 * only from here.
 */
export { PasswordHashError, type PasswordHashErrorCode } from './errors.js';
export { verifyPassword, schemeOf, isCleartext, isSupportedScheme, checkStoredHash } from './verify.js';
export { hashPassword, needsUpgrade, dummyVerify, DEFAULT_ARGON2, type Argon2Params } from './argon2.js';
export { newPasswordProblem, MAX_PASSWORD_BYTES } from './new-password.js';
export { parsePasswdFile, type PasswdEntry, type PasswdSkip, type PasswdFileOptions } from './passwd-file.js';
export { createHashPool, HashPoolOverloaded, type HashPool } from './pool.js';
