/**
 * Schema version 3: a mailbox's reversible credential for APOP and CRAM-MD5 (issue 4).
 * Additive only: two nullable columns on `mailboxes`; nothing in versions 1-2 changes.
 *
 *   reversible_secret  a vault ciphertext (`pv1.<keyId>.…`, purpose `credentials`, bound to
 *                      table `mailboxes`, the row id and this field), never clear text; NULL
 *                      means the mailbox has not opted in to APOP/CRAM-MD5.
 *   secret_changed_at  when it was last set or cleared (ISO-8601 UTC text), NULL if never.
 */
import type { Kysely } from 'kysely';
import type { SqlFlavour } from '../engine.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb, _flavour: SqlFlavour): Promise<void> {
  await db.schema.alterTable('mailboxes').addColumn('reversible_secret', 'text').execute();
  await db.schema.alterTable('mailboxes').addColumn('secret_changed_at', 'text').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('mailboxes').dropColumn('secret_changed_at').execute();
  await db.schema.alterTable('mailboxes').dropColumn('reversible_secret').execute();
}
