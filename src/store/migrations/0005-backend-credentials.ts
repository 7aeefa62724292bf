/**
 * Schema version 5: backend credentials (issue 4, item 7). Additive only: nullable columns and
 * one column with a default; nothing in versions 1-4 changes.
 *
 * backends
 *   master_user        the backend's master login (Dovecot master user), or NULL for none.
 *   master_secret      its password as a vault ciphertext (`pv1.<keyId>.…`, purpose `credentials`,
 *                      bound to table `backends`, the row id and this field), never clear text.
 *                      NULL with a master_user set means the password was reset (a lost key):
 *                      logins to that backend get a temporary failure until it is set again.
 *   master_changed_at  when the master login was last set or cleared (ISO-8601 UTC), NULL if never.
 *   master_separator   what joins the user's backend login and the master user: Dovecot's
 *                      auth_master_user_separator, `*` unless the backend is configured otherwise.
 * mailboxes
 *   backend_login      the name the backend knows this mailbox by, when it is not the address;
 *                      NULL means the canonical address.
 */
import type { Kysely } from 'kysely';
import type { SqlFlavour } from '../engine.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb, _flavour: SqlFlavour): Promise<void> {
  await db.schema.alterTable('backends').addColumn('master_user', 'text').execute();
  await db.schema.alterTable('backends').addColumn('master_secret', 'text').execute();
  await db.schema.alterTable('backends').addColumn('master_changed_at', 'text').execute();
  await db.schema.alterTable('backends').addColumn('master_separator', 'text', (c) => c.notNull().defaultTo('*')).execute();
  await db.schema.alterTable('mailboxes').addColumn('backend_login', 'text').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('mailboxes').dropColumn('backend_login').execute();
  for (const column of ['master_separator', 'master_changed_at', 'master_secret', 'master_user']) {
    await db.schema.alterTable('backends').dropColumn(column).execute();
  }
}
