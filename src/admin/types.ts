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
}
