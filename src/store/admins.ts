/**
 * Console administrators, their sessions and API tokens on the directory database
 * (migrations/0006-admins.ts; their second factor is in admin-totp.ts). Names are lower-case;
 * a password change revokes every session of the admin in the same transaction, so no window
 * exists where the old password's session outlives it. Session ids and tokens arrive already hashed (src/admin/): nothing here can
 * turn a row back into a cookie or a token.
 */
import type { Selectable } from 'kysely';
import type { Admin, AdminStore, AdminWithHash, ApiToken, SessionRecord } from '../admin/types.js';
import { DirectoryError } from '../directory/types.js';
import { checkStoredHash } from '../passwords/index.js';
import { now, uniqueOr, type Store } from './rows.js';
import type { AdminSessionsTable, AdminsTable } from './schema.js';
import { normaliseName } from './validate.js';
import { adminTotpStore } from './admin-totp.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HASH = /^[0-9a-f]{64}$/;

/** A lower-case admin name: letters, digits, `.`, `_`, `-`, starting with a letter or digit, at most 64. */
export function parseAdminName(value: string): string {
  const name = normaliseName(value);
  if (!NAME.test(name)) {
    throw new DirectoryError('invalid', `"${name}" is not a valid admin name: 1-64 characters a-z, 0-9, ".", "_" or "-", starting with a letter or digit (e.g. "alice")`);
  }
  return name;
}

/** A token label as the CLI and the console show it: 1-64 printable characters. */
export function parseTokenLabel(value: string): string {
  const label = value.trim();
  if (label === '' || label.length > 64 || /\p{Cc}/u.test(label)) {
    throw new DirectoryError('invalid', 'a token label is 1-64 printable characters saying what uses the token, e.g. "backup script"');
  }
  return label;
}

function checkHash(hash: string): string {
  const problem = checkStoredHash(hash);
  if (problem) throw new DirectoryError('invalid', `not a usable password hash: ${problem.message}`);
  return hash;
}

function checkDigest(hex: string, what: string): string {
  if (!HASH.test(hex)) throw new DirectoryError('invalid', `${what} must be a hex SHA-256 digest`);
  return hex;
}

export const toAdmin = (r: Selectable<AdminsTable>): Admin => ({
  id: Number(r.id),
  name: r.name,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  twoFactor: r.totp_enabled_at !== null ? 'on' : r.totp_secret !== null ? 'pending' : 'off',
  twoFactorRequired: Number(r.totp_required) === 1,
});

const toSession = (r: Selectable<AdminSessionsTable>): SessionRecord => ({
  idHash: r.id_hash,
  adminId: Number(r.admin_id),
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
  clientIp: r.client_ip,
  userAgent: r.user_agent,
  revoked: Number(r.revoked) === 1,
  // Anything unknown written by hand is a half session, never a full one.
  stage: r.stage === 'full' || r.stage === 'enrol' ? r.stage : 'second-factor',
});

export async function requireAdmin(s: Store, name: string): Promise<AdminWithHash> {
  const row = await s.db.selectFrom('admins').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw new DirectoryError('not-found', `admin "${name}" does not exist (see "postern admin list")`);
  return { ...toAdmin(row), passwordHash: row.password_hash };
}

function tokenQuery(s: Store) {
  return s.db
    .selectFrom('api_tokens as t')
    .innerJoin('admins as a', 'a.id', 't.admin_id')
    .select(['t.id', 't.admin_id', 'a.name as admin_name', 't.label', 't.created_at', 't.last_used_at', 't.revoked']);
}

type TokenRow = { id: number; admin_id: number; admin_name: string; label: string; created_at: string; last_used_at: string | null; revoked: number };

const toToken = (r: TokenRow): ApiToken => ({
  id: Number(r.id),
  adminId: Number(r.admin_id),
  adminName: r.admin_name,
  label: r.label,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at ?? null,
  revoked: Number(r.revoked) === 1,
});

export function createAdminStore(s: Store): AdminStore {
  return {
    ...adminTotpStore(s),
    async addAdmin(input, passwordHash) {
      const name = parseAdminName(input);
      const hash = checkHash(passwordHash);
      const at = now();
      const row = await uniqueOr(s, `admin "${name}" already exists (change its password with "postern admin passwd ${name}")`, () =>
        s.db.insertInto('admins').values({ name, password_hash: hash, created_at: at, updated_at: at }).returningAll().executeTakeFirstOrThrow(),
      );
      return toAdmin(row);
    },

    async getAdmin(input) {
      const row = await s.db.selectFrom('admins').selectAll().where('name', '=', normaliseName(input)).executeTakeFirst();
      return row ? { ...toAdmin(row), passwordHash: row.password_hash } : null;
    },

    async getAdminById(id) {
      const row = await s.db.selectFrom('admins').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toAdmin(row) : null;
    },

    async listAdmins() {
      return (await s.db.selectFrom('admins').selectAll().orderBy('name').execute()).map(toAdmin);
    },

    async setAdminPassword(input, passwordHash) {
      const name = parseAdminName(input);
      const hash = checkHash(passwordHash);
      return s.db.transaction().execute(async (trx) => {
        const current = await requireAdmin({ ...s, db: trx }, name);
        const at = now();
        const row = await trx.updateTable('admins').set({ password_hash: hash, updated_at: at }).where('id', '=', current.id).returningAll().executeTakeFirstOrThrow();
        const res = await trx.updateTable('admin_sessions').set({ revoked: 1 }).where('admin_id', '=', current.id).where('revoked', '=', 0).executeTakeFirst();
        return { admin: toAdmin(row), revokedSessions: Number(res.numUpdatedRows) };
      });
    },

    async removeAdmin(input) {
      const name = parseAdminName(input);
      const current = await requireAdmin(s, name);
      await s.db.deleteFrom('admins').where('id', '=', current.id).execute();
    },

    async createSession(x) {
      await s.db
        .insertInto('admin_sessions')
        .values({
          id_hash: checkDigest(x.idHash, 'a session id hash'),
          admin_id: x.adminId,
          created_at: x.createdAt,
          last_seen_at: x.lastSeenAt,
          expires_at: x.expiresAt,
          client_ip: x.clientIp,
          // Shown back as text; bounded so a client cannot fill the database through its header.
          user_agent: x.userAgent.slice(0, 300),
          revoked: 0,
          stage: x.stage,
        })
        .execute();
    },

    async getSession(idHash) {
      const row = await s.db.selectFrom('admin_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
      return row ? toSession(row) : null;
    },

    async touchSession(idHash, at) {
      await s.db.updateTable('admin_sessions').set({ last_seen_at: at }).where('id_hash', '=', idHash).execute();
    },

    async revokeSession(adminId, idHash) {
      const res = await s.db
        .updateTable('admin_sessions')
        .set({ revoked: 1 })
        .where('id_hash', '=', idHash)
        .where('admin_id', '=', adminId)
        .where('revoked', '=', 0)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },

    async listSessions(adminId, at) {
      const rows = await s.db
        .selectFrom('admin_sessions')
        .selectAll()
        .where('admin_id', '=', adminId)
        .where('revoked', '=', 0)
        .where('expires_at', '>', at)
        .orderBy('last_seen_at', 'desc')
        .execute();
      return rows.map(toSession);
    },

    async pruneSessions(before) {
      const res = await s.db
        .deleteFrom('admin_sessions')
        .where((eb) => eb.or([eb('expires_at', '<', before), eb.and([eb('revoked', '=', 1), eb('last_seen_at', '<', before)])]))
        .executeTakeFirst();
      return Number(res.numDeletedRows);
    },

    async createApiToken(adminInput, labelInput, tokenHash) {
      const admin = await requireAdmin(s, parseAdminName(adminInput));
      const label = parseTokenLabel(labelInput);
      const { id } = await s.db
        .insertInto('api_tokens')
        .values({ admin_id: admin.id, label, token_hash: checkDigest(tokenHash, 'a token hash'), created_at: now(), last_used_at: null, revoked: 0 })
        .returning('id')
        .executeTakeFirstOrThrow();
      return toToken((await tokenQuery(s).where('t.id', '=', Number(id)).executeTakeFirstOrThrow()) as TokenRow);
    },

    async listApiTokens(adminInput) {
      let q = tokenQuery(s).orderBy('t.id');
      if (adminInput !== undefined) q = q.where('a.id', '=', (await requireAdmin(s, parseAdminName(adminInput))).id);
      return ((await q.execute()) as TokenRow[]).map(toToken);
    },

    async revokeApiToken(id) {
      const row = (await tokenQuery(s).where('t.id', '=', id).executeTakeFirst()) as TokenRow | undefined;
      if (!row) throw new DirectoryError('not-found', `API token ${id} does not exist (see "postern admin token list")`);
      await s.db.updateTable('api_tokens').set({ revoked: 1 }).where('id', '=', id).execute();
      return { ...toToken(row), revoked: true };
    },

    async findApiToken(tokenHash) {
      const row = (await tokenQuery(s).where('t.token_hash', '=', tokenHash).where('t.revoked', '=', 0).executeTakeFirst()) as TokenRow | undefined;
      return row ? toToken(row) : null;
    },

    async touchApiToken(id, at) {
      await s.db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
    },
  };
}
