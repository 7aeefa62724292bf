/**
 * Schema version 2: bans (the defence against password guessing, src/defence/types.ts).
 * Additive only: one new table and its indexes; nothing in version 1 changes.
 *
 * A ban row is never updated into a different subject: an extended ban moves `expires_at`
 * later, a lifted one gets `lifted_at`, and pruning deletes rows that ended long ago. The
 * hot lookup, run on every login, is "bans in force now on these (at most three) subjects":
 * `subject IN (...) AND expires_at > now AND lifted_at IS NULL`, an index seek per subject
 * on (subject, expires_at). Timestamps are ISO-8601 UTC text, which compares chronologically.
 */
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { SqlFlavour } from '../engine.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb, flavour: SqlFlavour): Promise<void> {
  const id = (col: ColumnDefinitionBuilder) =>
    flavour === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();

  await db.schema
    .createTable('bans')
    .addColumn('id', 'integer', id)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('lifted_at', 'text')
    .addCheckConstraint('bans_kind', sql`kind in ('ip', 'subnet', 'account')`)
    // '' is what the lookup passes for an absent subject: it must never match a row.
    .addCheckConstraint('bans_subject', sql`subject <> ''`)
    .execute();
  // The login-time lookup and addBan's "standing ban on this subject" check.
  await db.schema.createIndex('bans_subject_expires_at').on('bans').columns(['subject', 'expires_at']).execute();
  // listBans (in force now) and pruneBans (ended before a cutoff).
  await db.schema.createIndex('bans_expires_at').on('bans').column('expires_at').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('bans').execute();
}
