/**
 * Schema version 7: the console's second factor (issue 5, items 3 and 4). Additive only: new
 * nullable columns, columns with defaults and one new table; nothing in versions 1-6 changes.
 *
 * admins
 *   totp_secret       the TOTP seed (RFC 6238) as a vault ciphertext (`pv1.<keyId>.…`, purpose
 *                     `totp`, bound to table `admins`, the row id and this field), never clear
 *                     text. Set when enrolment starts; NULL when never set, turned off, reset by
 *                     `postern admin 2fa reset`, or cleared by `postern secrets reset` (a lost key).
 *   totp_changed_at   when totp_secret was last set or cleared (ISO-8601 UTC), NULL if never.
 *   totp_enabled_at   when enrolment was confirmed with a first code; NULL: 2FA is off (or the
 *                     enrolment is still pending). Enabled with a NULL secret (a reset key)
 *                     means only recovery codes can pass the second step: fail closed.
 *   totp_last_step    the last accepted time step (unix time / 30 s); a code of this step or an
 *                     earlier one is refused as a replay. Written with compare-and-set
 *                     (`where totp_last_step < :step`), so two processes cannot both accept it.
 *   totp_required     1: this admin must use 2FA (`postern admin require-2fa`); without it a
 *                     password login reaches only the enrolment page.
 * admin_sessions
 *   stage             `full`; `second-factor` (password checked, may only submit a code);
 *                     `enrol` (password checked, 2FA required but not set up: enrolment only).
 * admin_recovery_codes  single-use recovery codes: hex SHA-256 of the normalised code (80
 *                     random bits each, so a fast hash suffices, as for API tokens), used_at set
 *                     when spent. Removed with their admin (ON DELETE CASCADE).
 */
import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { SqlFlavour } from '../engine.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb, flavour: SqlFlavour): Promise<void> {
  await db.schema.alterTable('admins').addColumn('totp_secret', 'text').execute();
  await db.schema.alterTable('admins').addColumn('totp_changed_at', 'text').execute();
  await db.schema.alterTable('admins').addColumn('totp_enabled_at', 'text').execute();
  await db.schema.alterTable('admins').addColumn('totp_last_step', 'integer').execute();
  await db.schema.alterTable('admins').addColumn('totp_required', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('admin_sessions').addColumn('stage', 'text', (c) => c.notNull().defaultTo('full')).execute();

  const id = (col: ColumnDefinitionBuilder) =>
    flavour === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();
  await db.schema
    .createTable('admin_recovery_codes')
    .addColumn('id', 'integer', id)
    .addColumn('admin_id', 'integer', (c) => c.notNull().references('admins.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  // Spending a code looks it up by (admin, hash); one code hash per admin.
  await db.schema.createIndex('admin_recovery_codes_admin_hash').on('admin_recovery_codes').columns(['admin_id', 'code_hash']).unique().execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('admin_recovery_codes').execute();
  await db.schema.alterTable('admin_sessions').dropColumn('stage').execute();
  for (const column of ['totp_required', 'totp_last_step', 'totp_enabled_at', 'totp_changed_at', 'totp_secret']) {
    await db.schema.alterTable('admins').dropColumn(column).execute();
  }
}
