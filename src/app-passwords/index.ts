/**
 * App passwords (issue 5 item 6): per mailbox, scoped to protocols and client networks, with a
 * label, an expiry and a last-used time, shown once at creation and stored hashed; accepted by
 * the auth endpoint like passwords, within their scope (src/decision/app-password-login.ts).
 */
export type { AppPassword, AppPasswordAdmin, AppPasswordRecord, NewAppPassword } from './types.js';
export { APP_PASSWORD_BITS, appPasswordHash, generateAppPassword, normaliseAppPassword } from './secret.js';
export { appPasswordState, judgeAppPassword, type AppPasswordState, type AppPasswordVerdict } from './scope.js';
export { parseExpiry, type ExpiryResult } from './expiry.js';
export { createLastUsedRecorder, type LastUsedOptions } from './last-used.js';
export { appPasswordView, createAppPassword, describeScope, listAppPasswords, revokeAppPassword, type AppPasswordView, type CreateAppPassword } from './manage.js';
