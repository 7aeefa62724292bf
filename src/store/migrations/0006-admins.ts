/**
 * Schema version 6: console administrators, their sessions and their API tokens (issue 5).
 * Additive only: three new tables; nothing in versions 1-5 changes.
 *
 * admins
 *   name            lower-case login name, unique.
 *   password_hash   `{ARGON2ID}$argon2id$...` (src/passwords), never clear text.
 * admin_sessions    server-side console sessions (src/admin/sessions.ts).
 *   id_hash         hex SHA-256 of the 32-byte random session id the cookie carries; the id
 *                   itself is never stored, so a copy of the database cannot be replayed as a cookie.
 *   expires_at      the absolute end (login + admin.session_max_hours); the idle end is
 *                   last_seen_at + admin.session_idle_minutes, decided by the caller.
 *   client_ip       the resolved client IP at login (through trusted proxies), for the session
 *                   list and the optional binding; user_agent is shown as "browser".
 *   revoked         1 after logout, a revoke button, or a password change of the admin.
 * api_tokens        Bearer tokens for scripts: hex SHA-256 of the token, shown once at creation.
 * Removing an admin removes its sessions and tokens (ON DELETE CASCADE).
 */
import { type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { SqlFlavour } from '../engine.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb, flavour: SqlFlavour): Promise<void> {
  const id = (col: ColumnDefinitionBuilder) =>
    flavour === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();
  const admin = (c: ColumnDefinitionBuilder) => c.notNull().references('admins.id').onDelete('cascade');

  await db.schema
    .createTable('admins')
    .addColumn('id', 'integer', id)
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('admin_sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('admin_id', 'integer', admin)
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('client_ip', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // "My sessions" and "revoke all sessions of this admin".
  await db.schema.createIndex('admin_sessions_admin_id').on('admin_sessions').column('admin_id').execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'integer', id)
    .addColumn('admin_id', 'integer', admin)
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('api_tokens_admin_id').on('api_tokens').column('admin_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('api_tokens').execute();
  await db.schema.dropTable('admin_sessions').execute();
  await db.schema.dropTable('admins').execute();
}
