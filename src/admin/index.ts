/**
 * The admin console's logic without sockets: administrators and their store interface,
 * server-side sessions (ids, timeouts, the optional client binding, CSRF tokens, the half
 * sessions of a pending second factor), API tokens, the limits on failed console logins, TOTP
 * (RFC 6238) and recovery codes, and the `[admin]` settings. The HTTP shell that uses
 * them is src/console/. Other folders import from here only.
 */
export type { Admin, AdminWithHash, AdminStore, ApiToken, SessionRecord, SessionStage, TotpState } from './types.js';
export {
  newSession,
  newSessionId,
  hashSessionId,
  checkSession,
  bindingHolds,
  shouldTouch,
  csrfToken,
  sessionHandle,
  BINDING_PREFIX,
  HALF_SESSION_MS,
  type SessionBinding,
  type SessionPolicy,
  type SessionCheck,
  type SessionRefusal,
} from './sessions.js';
export { newApiToken, hashApiToken, bearerToken, TOKEN_PREFIX } from './tokens.js';
export { createLoginDefence, type LoginDefence, type LoginDefenceSettings, type LoginGate } from './login-defence.js';
export { adminSettings, defaultPublicUrl, COOKIE_BASE, type AdminSettings } from './settings.js';
export { describeBrowser } from './browser.js';
export {
  checkTotp,
  newTotpSecret,
  normaliseTotpCode,
  totpCode,
  totpSecretText,
  totpStep,
  totpUri,
  TOTP_DIGITS,
  TOTP_PERIOD_SECONDS,
  TOTP_WINDOW,
  type TotpCheck,
} from './totp.js';
export { newRecoveryCodes, hashRecoveryCode, looksLikeRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes.js';
