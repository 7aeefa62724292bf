/**
 * Schema version 1: domains, domain aliases, mailboxes, aliases, backends, routes and
 * client-certificate mappings. Written with Kysely's schema builder so the same migration
 * serves SQLite and PostgreSQL; the only engine difference (how an id is generated) comes
 * in as `flavour`.
 *
 * Every lookup on the auth hot path is an equality match on a UNIQUE column (mailbox,
 * alias, domain alias address; cert (match, value); route (kind, subject)) or on an
 * indexed foreign key (routes by mailbox_id / domain_id), so cost does not grow with the
 * number of mailboxes.
 */
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { SqlFlavour } from '../engine.js';

// Migrations deliberately see an untyped database: they describe the schema at their own
// point in history, not the current `DB` interface.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

function identity(flavour: SqlFlavour) {
  // AUTOINCREMENT on SQLite so a removed row's id is never handed to a new row: a
  // compare-and-set by mailbox id must not hit a different, newer mailbox.
  return (col: ColumnDefinitionBuilder) =>
    flavour === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();
}

export async function up(db: AnyDb, flavour: SqlFlavour): Promise<void> {
  const id = identity(flavour);

  await db.schema
    .createTable('domains')
    .addColumn('id', 'integer', id)
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('domain_aliases')
    .addColumn('id', 'integer', id)
    .addColumn('alias', 'text', (c) => c.notNull().unique())
    .addColumn('domain_id', 'integer', (c) => c.notNull().references('domains.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('domain_aliases_domain_id').on('domain_aliases').column('domain_id').execute();

  await db.schema
    .createTable('mailboxes')
    .addColumn('id', 'integer', id)
    .addColumn('address', 'text', (c) => c.notNull().unique())
    // RESTRICT: a domain is removed only once it is empty (the store says how to empty it).
    .addColumn('domain_id', 'integer', (c) => c.notNull().references('domains.id').onDelete('restrict'))
    .addColumn('password_hash', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('protocols', 'text', (c) => c.notNull())
    .addColumn('networks', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addCheckConstraint('mailboxes_enabled_bool', sql`enabled in (0, 1)`)
    .execute();
  await db.schema.createIndex('mailboxes_domain_id').on('mailboxes').column('domain_id').execute();

  await db.schema
    .createTable('aliases')
    .addColumn('id', 'integer', id)
    .addColumn('address', 'text', (c) => c.notNull().unique())
    .addColumn('domain_id', 'integer', (c) => c.notNull().references('domains.id').onDelete('restrict'))
    .addColumn('mailbox_id', 'integer', (c) => c.notNull().references('mailboxes.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('aliases_mailbox_id').on('aliases').column('mailbox_id').execute();
  await db.schema.createIndex('aliases_domain_id').on('aliases').column('domain_id').execute();

  const port = (name: string) => (c: ColumnDefinitionBuilder) => c.check(sql`${sql.ref(name)} between 1 and 65535`);
  await db.schema
    .createTable('backends')
    .addColumn('id', 'integer', id)
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('imap_port', 'integer', port('imap_port'))
    .addColumn('pop3_port', 'integer', port('pop3_port'))
    .addColumn('smtp_port', 'integer', port('smtp_port'))
    .addColumn('mx_port', 'integer', port('mx_port'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('routes')
    .addColumn('id', 'integer', id)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('mailbox_id', 'integer', (c) => c.references('mailboxes.id').onDelete('cascade'))
    .addColumn('domain_id', 'integer', (c) => c.references('domains.id').onDelete('cascade'))
    // RESTRICT: the store refuses first with the routes named; this is the backstop.
    .addColumn('backend_id', 'integer', (c) => c.notNull().references('backends.id').onDelete('restrict'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('routes_kind_subject', ['kind', 'subject'])
    .addCheckConstraint(
      'routes_shape',
      sql`(kind = 'mailbox' and mailbox_id is not null and domain_id is null and subject <> '')
        or (kind = 'domain' and domain_id is not null and mailbox_id is null and subject <> '')
        or (kind = 'default' and mailbox_id is null and domain_id is null and subject = '')
        or (kind = 'unknown' and mailbox_id is null
            and ((domain_id is null and subject = '') or (domain_id is not null and subject <> '')))`,
    )
    .execute();
  await db.schema.createIndex('routes_mailbox_id').on('routes').column('mailbox_id').execute();
  await db.schema.createIndex('routes_domain_id').on('routes').column('domain_id').execute();
  await db.schema.createIndex('routes_backend_id').on('routes').column('backend_id').execute();

  await db.schema
    .createTable('cert_mappings')
    .addColumn('id', 'integer', id)
    .addColumn('match', 'text', (c) => c.notNull().check(sql`match in ('subject', 'fingerprint')`))
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('mailbox_id', 'integer', (c) => c.notNull().references('mailboxes.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('cert_mappings_match_value', ['match', 'value'])
    .execute();
  await db.schema.createIndex('cert_mappings_mailbox_id').on('cert_mappings').column('mailbox_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['cert_mappings', 'routes', 'backends', 'aliases', 'mailboxes', 'domain_aliases', 'domains']) {
    await db.schema.dropTable(table).execute();
  }
}
