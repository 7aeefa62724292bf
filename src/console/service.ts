/**
 * The console's operations, shared by its HTML pages and its REST API so both do exactly the
 * same thing: the mailbox view (never a hash or a secret; mailbox-ops.ts
 * changes them), one's own sessions with their revocation, and the bans in force. (Lifting a
 * ban and the keys report are the store's liftBans and vault-check.ts keysStatus, called as they are.)
 */
import { describeBrowser, sessionHandle, type AdminStore, type SessionRecord } from '../admin/index.js';
import type { DirectoryAdmin, Mailbox } from '../directory/types.js';
import { schemeOf } from '../passwords/index.js';
import type { BanAdmin, LoginHistoryStore } from '../store/index.js';
import type { Auth } from './context.js';
import type { AppPasswordAdmin } from '../app-passwords/index.js';

/** What the console needs from the directory database (one line per area). */
export type ConsoleStore = AdminStore &
  DirectoryAdmin &
  Pick<BanAdmin, 'listBans' | 'liftBans'> &
  Pick<LoginHistoryStore, 'listLogins' | 'countLoginsPerHour' | 'topFailing'> &
  AppPasswordAdmin;

export interface MailboxView {
  address: string;
  enabled: boolean;
  protocols: string[];
  networks: string[];
  /** `ARGON2ID`, `SHA512-CRYPT`, ... or `none`: never the hash. */
  passwordScheme: string;
  reversibleCredential: boolean;
  updatedAt: string;
}

export function mailboxView(m: Mailbox): MailboxView {
  return {
    address: m.address,
    enabled: m.enabled,
    protocols: [...m.protocols],
    networks: [...m.networks],
    passwordScheme: m.passwordHash === null ? 'none' : schemeOf(m.passwordHash),
    reversibleCredential: m.reversibleSecret !== null,
    updatedAt: m.updatedAt,
  };
}


export interface SessionView {
  /** A prefix of the stored id hash: names the session for a revoke, cannot be turned into a cookie. */
  id: string;
  current: boolean;
  clientIp: string;
  browser: string;
  userAgent: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

function sessionView(s: SessionRecord, current: string | null): SessionView {
  return {
    id: sessionHandle(s.idHash),
    current: s.idHash === current,
    clientIp: s.clientIp,
    browser: describeBrowser(s.userAgent),
    userAgent: s.userAgent,
    createdAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    expiresAt: s.expiresAt,
  };
}

export async function listOwnSessions(store: ConsoleStore, auth: Auth, now: Date): Promise<SessionView[]> {
  const current = auth.kind === 'session' ? auth.session.idHash : null;
  return (await store.listSessions(auth.admin.id, now.toISOString())).map((s) => sessionView(s, current));
}

/** Revokes one of the admin's own live sessions by its handle; false when none matches. */
export async function revokeOwnSession(store: ConsoleStore, auth: Auth, handle: string, now: Date): Promise<{ revoked: boolean; current: boolean }> {
  if (!/^[0-9a-f]{16}$/.test(handle)) return { revoked: false, current: false };
  const target = (await store.listSessions(auth.admin.id, now.toISOString())).find((s) => sessionHandle(s.idHash) === handle);
  if (!target) return { revoked: false, current: false };
  const revoked = await store.revokeSession(auth.admin.id, target.idHash);
  return { revoked, current: auth.kind === 'session' && auth.session.idHash === target.idHash };
}

export interface BanView {
  id: number;
  kind: 'ip' | 'subnet' | 'account';
  subject: string;
  reason: string;
  createdAt: string;
  expiresAt: string;
}

/** The bans in force now, newest first (as `postern bans list`). */
export async function listBansInForce(store: ConsoleStore): Promise<BanView[]> {
  return (await store.listBans()).map((b) => ({ id: b.id, kind: b.kind, subject: b.subject, reason: b.reason, createdAt: b.createdAt, expiresAt: b.expiresAt }));
}
