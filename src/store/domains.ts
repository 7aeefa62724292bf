/**
 * Domains and domain aliases. A name is either a served domain or an alias of one, never
 * both, and a domain is removed only once no mailbox or alias lives in it: deleting
 * mailboxes is never a side effect.
 */
import type { Kysely } from 'kysely';
import { DirectoryError, type Domain, type DomainCounts } from '../directory/types.js';
import { inUseOr, now, uniqueOr, type Store } from './rows.js';
import type { DB } from './schema.js';
import { parseDomainName } from './validate.js';

/** The domain that `alias` is a domain alias of, if it is one. */
function aliasedDomain(db: Kysely<DB>, alias: string): Promise<{ name: string } | undefined> {
  return db
    .selectFrom('domain_aliases as da')
    .innerJoin('domains as d', 'd.id', 'da.domain_id')
    .select('d.name')
    .where('da.alias', '=', alias)
    .executeTakeFirst();
}

/** The served domain `name` (canonical, not an alias) or DirectoryError('not-found') with a way forward. */
export async function requireDomain(db: Kysely<DB>, name: string): Promise<{ id: number; name: string }> {
  const row = await db.selectFrom('domains').select(['id', 'name']).where('name', '=', name).executeTakeFirst();
  if (row) return { id: Number(row.id), name: row.name };
  const alias = await aliasedDomain(db, name);
  if (alias) {
    throw new DirectoryError('invalid', `"${name}" is an alias of domain "${alias.name}": use "${alias.name}" instead`);
  }
  throw new DirectoryError('not-found', `domain "${name}" does not exist: add it first with "postern domain add ${name}"`);
}

export async function addDomain(s: Store, input: string): Promise<Domain> {
  const name = parseDomainName(input);
  return s.db.transaction().execute(async (trx) => {
    if (await trx.selectFrom('domains').select('id').where('name', '=', name).executeTakeFirst()) {
      throw new DirectoryError('exists', `domain "${name}" already exists`);
    }
    const alias = await aliasedDomain(trx, name);
    if (alias) {
      throw new DirectoryError(
        'exists',
        `"${name}" is already an alias of domain "${alias.name}": remove the alias first with "postern domain alias remove ${name}"`,
      );
    }
    const createdAt = now();
    const row = await uniqueOr(s, `domain "${name}" already exists`, () =>
      trx.insertInto('domains').values({ name, created_at: createdAt }).returning('id').executeTakeFirstOrThrow(),
    );
    return { id: Number(row.id), name, aliases: [], createdAt };
  });
}

export async function listDomains(s: Store): Promise<Domain[]> {
  const rows = await s.db.selectFrom('domains').selectAll().orderBy('name').execute();
  const aliases = await s.db.selectFrom('domain_aliases').select(['alias', 'domain_id']).orderBy('alias').execute();
  const byDomain = new Map<number, string[]>();
  for (const a of aliases) {
    const id = Number(a.domain_id);
    const list = byDomain.get(id) ?? [];
    list.push(a.alias);
    byDomain.set(id, list);
  }
  return rows.map((r) => ({ id: Number(r.id), name: r.name, aliases: byDomain.get(Number(r.id)) ?? [], createdAt: r.created_at }));
}

/** Every served domain with how many mailboxes and address aliases it holds: one query, each count over its domain_id index. */
export async function countPerDomain(s: Store): Promise<DomainCounts[]> {
  const rows = await s.db
    .selectFrom('domains as d')
    .select((eb) => [
      'd.name',
      eb.selectFrom('mailboxes as m').select(eb.fn.countAll().as('n')).whereRef('m.domain_id', '=', 'd.id').as('mailboxes'),
      eb.selectFrom('aliases as a').select(eb.fn.countAll().as('n')).whereRef('a.domain_id', '=', 'd.id').as('aliases'),
    ])
    .orderBy('d.name')
    .execute();
  // COUNT is a number in SQLite and a bigint (as text) in PostgreSQL.
  return rows.map((r) => ({ domain: r.name, mailboxes: Number(r.mailboxes ?? 0), aliases: Number(r.aliases ?? 0) }));
}

export async function removeDomain(s: Store, input: string): Promise<void> {
  const name = parseDomainName(input);
  await s.db.transaction().execute(async (trx) => {
    const domain = await requireDomain(trx, name).catch((err: unknown) => {
      // Removing an alias by its name is a different command; say which.
      if (err instanceof DirectoryError && err.code === 'invalid') {
        throw new DirectoryError('invalid', `${err.message}; to remove only the alias, run "postern domain alias remove ${name}"`);
      }
      throw err;
    });
    const count = async (table: 'mailboxes' | 'aliases') => {
      const r = await trx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('domain_id', '=', domain.id).executeTakeFirstOrThrow();
      return Number(r.n);
    };
    const mailboxes = await count('mailboxes');
    const aliases = await count('aliases');
    if (mailboxes > 0 || aliases > 0) {
      const parts = [];
      if (mailboxes > 0) parts.push(`${mailboxes} mailbox${mailboxes === 1 ? '' : 'es'}`);
      if (aliases > 0) parts.push(`${aliases} alias${aliases === 1 ? '' : 'es'}`);
      throw new DirectoryError(
        'in-use',
        `domain "${name}" still has ${parts.join(' and ')}: remove them first ` +
          `(see "postern mailbox list --domain ${name}" and "postern alias list"), then remove the domain`,
      );
    }
    // Its domain aliases and routes go with it (ON DELETE CASCADE): they mean nothing alone.
    await inUseOr(s, `domain "${name}" still has mailboxes or aliases (see "postern mailbox list --domain ${name}")`, () =>
      trx.deleteFrom('domains').where('id', '=', domain.id).execute(),
    );
  });
}

export async function addDomainAlias(s: Store, aliasInput: string, domainInput: string): Promise<void> {
  const alias = parseDomainName(aliasInput);
  const target = parseDomainName(domainInput);
  if (alias === target) throw new DirectoryError('invalid', `a domain cannot be an alias of itself ("${alias}")`);
  await s.db.transaction().execute(async (trx) => {
    const domain = await requireDomain(trx, target);
    if (await trx.selectFrom('domains').select('id').where('name', '=', alias).executeTakeFirst()) {
      throw new DirectoryError('exists', `"${alias}" is already a domain of its own: it cannot also be an alias`);
    }
    const current = await aliasedDomain(trx, alias);
    if (current) throw new DirectoryError('exists', `"${alias}" is already an alias of domain "${current.name}"`);
    await uniqueOr(s, `"${alias}" is already a domain alias`, () =>
      trx.insertInto('domain_aliases').values({ alias, domain_id: domain.id, created_at: now() }).execute(),
    );
  });
}

export async function removeDomainAlias(s: Store, aliasInput: string): Promise<void> {
  const alias = parseDomainName(aliasInput);
  const result = await s.db.deleteFrom('domain_aliases').where('alias', '=', alias).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) {
    throw new DirectoryError('not-found', `"${alias}" is not a domain alias (see "postern domain list")`);
  }
}
