/**
 * Schema version 9: app passwords (issue 5 item 6). Additive only: one new table.
 *
 * app_passwords
 *   mailbox_id    the mailbox it opens; removed with it (ON DELETE CASCADE).
 *   label         what uses it ("alice's phone"), shown in listings and logged with each login.
 *   hash          hex SHA-256 of the normal form of the generated password (80 random bits,
 *                 src/app-passwords/secret.ts), never the password. UNIQUE: the auth path finds
 *                 an app password by this column, then checks the mailbox id.
 *   protocols     comma-separated subset of imap,pop3,smtp, as mailboxes.protocols.
 *   networks      comma-separated CIDRs; '' means anywhere, as mailboxes.networks.
 *   expires_at    ISO-8601 UTC; NULL: never.
 *   created_at    ISO-8601 UTC.
 *   last_used_at  the last login with it, written at most once a minute; NULL: never used.
 *   revoked_at    when it was revoked; NULL: not revoked. Revoked rows stay, so listings can say
 *                 what happened to a device's password, and its hash is never issued again.
 */
import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { SqlFlavour } from '../engine.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb, flavour: SqlFlavour): Promise<void> {
  const id = (col: ColumnDefinitionBuilder) =>
    flavour === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();
  await db.schema
    .createTable('app_passwords')
    .addColumn('id', 'integer', id)
    .addColumn('mailbox_id', 'integer', (c) => c.notNull().references('mailboxes.id').onDelete('cascade'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('protocols', 'text', (c) => c.notNull())
    .addColumn('networks', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('expires_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  // Listings per mailbox, and the cascade when a mailbox is removed.
  await db.schema.createIndex('app_passwords_mailbox_id').on('app_passwords').column('mailbox_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('app_passwords').execute();
}
