/**
 * The console's records and the store interface behind them: administrators, their
 * server-side sessions and their API tokens. Secrets never appear here: a password only as
 * its argon2id hash, a session id and a token only as their SHA-256.
 */

export interface Admin {
  id: number;
  /** Lower-case login name. */
  name: string;
  createdAt: string;
  updatedAt: string;
  /** `on` (confirmed), `pending` (enrolment started, not confirmed) or `off`. */
  twoFactor: 'on' | 'pending' | 'off';
  /** Whether an operator requires 2FA of this admin (`postern admin require-2fa`). */
  twoFactorRequired: boolean;
}

export interface AdminWithHash extends Admin {
  passwordHash: string;
}

export interface SessionRecord {
  /** Hex SHA-256 of the session id the cookie carries. */
  idHash: string;
  adminId: number;
  createdAt: string;
  lastSeenAt: string;
  /** The absolute end. */
  expiresAt: string;
  /** The resolved client IP at login. */
  clientIp: string;
  userAgent: string;
  revoked: boolean;
  /** What the session may do (sessions.ts SessionStage). */
  stage: SessionStage;
}

/**
 * `full`: signed in. `second-factor`: the password was right and the admin has 2FA; the session
 * may only submit a code. `enrol`: the password was right, 2FA is required and not set up; the
 * session may only enrol. The two half stages never become `full`: passing them makes a new id.
 */
export type SessionStage = 'full' | 'second-factor' | 'enrol';

/** An admin's second factor as stored. The secret only as a vault ciphertext. */
export interface TotpState {
  adminId: number;
  /** Vault ciphertext (purpose `totp`, bound to admins/<id>/totp_secret); null: none. */
  secret: string | null;
  changedAt: string | null;
  /** Confirmed with a first code; null: 2FA is off (or enrolment is pending). */
  enabledAt: string | null;
  lastStep: number | null;
  required: boolean;
  recoveryCodesLeft: number;
}

export interface ApiToken {
  id: number;
  adminId: number;
  adminName: string;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
  revoked: boolean;
}

/** The admins' part of the directory database (src/store/admins.ts). */
export interface AdminStore {
  addAdmin(name: string, passwordHash: string): Promise<Admin>;
  /** With the hash, for the login check; null when there is no such admin. */
  getAdmin(name: string): Promise<AdminWithHash | null>;
  getAdminById(id: number): Promise<Admin | null>;
  listAdmins(): Promise<Admin[]>;
  /** Sets the password and revokes every session of the admin in the same transaction; returns how many were revoked. */
  setAdminPassword(name: string, passwordHash: string): Promise<{ admin: Admin; revokedSessions: number }>;
  removeAdmin(name: string): Promise<void>;

  createSession(session: Omit<SessionRecord, 'revoked'>): Promise<void>;
  getSession(idHash: string): Promise<SessionRecord | null>;
  touchSession(idHash: string, at: string): Promise<void>;
  /** Revokes one session of this admin by its id hash; false when it is not theirs or already revoked. */
  revokeSession(adminId: number, idHash: string): Promise<boolean>;
  /** Sessions of the admin that are not revoked and not past `now` (absolute end), newest use first. */
  listSessions(adminId: number, now: string): Promise<SessionRecord[]>;
  /** Deletes sessions that ended (revoked or past their absolute end) before `before`. */
  pruneSessions(before: string): Promise<number>;

  createApiToken(admin: string, label: string, tokenHash: string): Promise<ApiToken>;
  listApiTokens(admin?: string): Promise<ApiToken[]>;
  revokeApiToken(id: number): Promise<ApiToken>;
  /** The live (not revoked) token with this hash and its admin. */
  findApiToken(tokenHash: string): Promise<ApiToken | null>;
  touchApiToken(id: number, at: string): Promise<void>;

  // The second factor (src/store/admin-totp.ts). Every change of it revokes the admin's other
  // sessions in the same transaction; `keep` names the one session (id hash) that survives.
  getTotp(adminId: number): Promise<TotpState>;
  /** Starts (or restarts) enrolment with a new seed; false when 2FA is already on (turn it off first). */
  beginTotp(adminId: number, ciphertext: string): Promise<boolean>;
  /**
   * Confirms enrolment: 2FA on, `step` recorded as used, these recovery codes replace any old
   * ones, every session but `keep` revoked. False (nothing changed) when the seed is no longer
   * `expectedSecret`, 2FA is already on, or the step is not newer than the last one.
   */
  enableTotp(adminId: number, expectedSecret: string, step: number, codeHashes: string[], keep: string | null): Promise<{ ok: boolean; revokedSessions: number }>;
  /** Compare-and-set: records `step` as used only if it is newer than the last; false: a replay (or a race lost). */
  claimTotpStep(adminId: number, step: number): Promise<boolean>;
  /** Spends one unused recovery code of the admin (compare-and-set on used_at); false when none matches. */
  useRecoveryCode(adminId: number, codeHash: string): Promise<boolean>;
  replaceRecoveryCodes(adminId: number, codeHashes: string[], keep: string | null): Promise<{ revokedSessions: number }>;
  /** Turns 2FA off: seed, last step and recovery codes cleared, every session but `keep` revoked. */
  disableTotp(adminId: number, keep: string | null): Promise<{ revokedSessions: number }>;
  /** `postern admin require-2fa <name> [--off]`. */
  setTotpRequired(name: string, required: boolean): Promise<Admin>;
  /** `postern admin 2fa reset <name>`: 2FA off and every session revoked; whether 2FA was on or pending. */
  resetTotp(name: string): Promise<{ admin: Admin; hadTotp: boolean; revokedSessions: number }>;
}
