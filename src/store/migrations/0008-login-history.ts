/**
 * Schema version 8: the login history (issue 5, item 5). Additive only: two new tables and their
 * indexes; nothing in versions 1-7 changes.
 *
 * login_history    one row per auth_http decision on a login (not inbound mail routing),
 *                  written in batches by src/history/recorder.ts and pruned after
 *                  history.retention_days.
 *   at             when the decision was made (ISO-8601 UTC text, sorts chronologically)
 *   login          the name as the client sent it: printable (control characters escaped),
 *                  at most 256 characters; '' when the request could not be read
 *   mailbox        the canonical mailbox address when one was identified, else NULL
 *   client_ip      nginx's Client-IP as sent ('' when absent)
 *   client_ip_key  the address as 32 hex digits (IPv4 as ::ffff:a.b.c.d), so an IP or a CIDR
 *                  filter is one index range; NULL when client_ip is not an address
 *   protocol       imap | pop3 | smtp
 *   method         Auth-Method as nginx sent it (plain, apop, cram-md5, external)
 *   result         ok | fail | tempfail, as in the decision log line (src/decision/outcome.ts)
 *   reason         the stable Reason code of the decision (never a message)
 *   cache          hit | stale when the auth cache answered, else NULL
 *   app_password   the label of the app password used (never the password), else NULL
 *
 * Indexes: time alone (newest first, pruning), and (filter, time) for each filter that narrows
 * a lot: result (the dashboard's failures), login, mailbox and the address key. The row id is
 * the keyset tie-break within one timestamp.
 *
 * login_history_hours  how many decisions each UTC hour had per result, kept up to date in the
 *                  same transaction as the rows (an upsert per hour and result in the batch), so
 *                  the dashboard's chart reads 72 rows instead of counting a day of logins on
 *                  the thread that answers nginx. Pruned with the rows.
 *   hour           the hour's first instant (ISO-8601 UTC, `2030-01-01T09:00:00.000Z`)
 *   result         ok | fail | tempfail
 *   logins         how many
 */
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { SqlFlavour } from '../engine.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb, flavour: SqlFlavour): Promise<void> {
  const id = (col: ColumnDefinitionBuilder) =>
    flavour === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();

  await db.schema
    .createTable('login_history')
    .addColumn('id', 'integer', id)
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('mailbox', 'text')
    .addColumn('client_ip', 'text', (c) => c.notNull())
    .addColumn('client_ip_key', 'text')
    .addColumn('protocol', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('cache', 'text')
    .addColumn('app_password', 'text')
    .addCheckConstraint('login_history_protocol', sql`protocol in ('imap', 'pop3', 'smtp')`)
    .addCheckConstraint('login_history_result', sql`result in ('ok', 'fail', 'tempfail')`)
    .execute();
  await db.schema.createIndex('login_history_at').on('login_history').column('at').execute();
  await db.schema.createIndex('login_history_result_at').on('login_history').columns(['result', 'at']).execute();
  await db.schema.createIndex('login_history_login_at').on('login_history').columns(['login', 'at']).execute();
  await db.schema.createIndex('login_history_mailbox_at').on('login_history').columns(['mailbox', 'at']).execute();
  await db.schema.createIndex('login_history_ip_at').on('login_history').columns(['client_ip_key', 'at']).execute();

  await db.schema
    .createTable('login_history_hours')
    .addColumn('hour', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('logins', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_history_hours_pk', ['hour', 'result'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('login_history_hours').execute();
  await db.schema.dropTable('login_history').execute();
}
