/**
 * The auth hot path: login resolution, certificate lookup and routing. Each lookup is an
 * equality match on a UNIQUE or indexed column, so it costs the same with ten mailboxes or
 * a million, and each query is compiled once (prepared.ts). Malformed names from the
 * network simply match nothing (null), because the caller cannot "fix" what a client
 * typed; database errors propagate so the caller fails closed.
 */
import { sql } from 'kysely';
import type { DirectoryReader } from '../directory/types.js';
import { toAppPassword } from './app-passwords.js';
import { prepareQuery } from './prepared.js';
import { toBackend, toMailbox, type Store } from './rows.js';
import { normaliseName, parseAddress, parseCertValue, parseDomainName } from './validate.js';

function attempt<T>(parse: () => T): T | null {
  try {
    return parse();
  } catch {
    return null;
  }
}

function preparedQueries({ db }: Store) {
  return {
    mailboxByAddress: prepareQuery(db, (address: string) => db.selectFrom('mailboxes').selectAll().where('address', '=', address)),
    mailboxByAlias: prepareQuery(db, (address: string) =>
      db.selectFrom('aliases as a').innerJoin('mailboxes as m', 'm.id', 'a.mailbox_id').selectAll('m').where('a.address', '=', address),
    ),
    domainByName: prepareQuery(db, (name: string) => db.selectFrom('domains').selectAll().where('name', '=', name)),
    domainByAlias: prepareQuery(db, (alias: string) =>
      db.selectFrom('domain_aliases as da').innerJoin('domains as d', 'd.id', 'da.domain_id').selectAll('d').where('da.alias', '=', alias),
    ),
    aliasesOfDomain: prepareQuery(db, (domainId: number) =>
      db.selectFrom('domain_aliases').select('alias').where('domain_id', '=', domainId).orderBy('alias'),
    ),
    mailboxByCert: prepareQuery(db, (match: string, value: string) =>
      db
        .selectFrom('cert_mappings as c')
        .innerJoin('mailboxes as m', 'm.id', 'c.mailbox_id')
        .selectAll('m')
        .where('c.match', '=', match)
        .where('c.value', '=', value),
    ),
    // The mailbox's own route, else its domain's, else the default. COALESCE evaluates
    // its arguments in order and stops at the first hit, so this is one statement of at
    // most three index seeks (a plain OR made SQLite build and sort a row set: 3x slower).
    route: prepareQuery(db, (mailboxId: number, domainId: number) =>
      db
        .selectFrom('routes as r')
        .innerJoin('backends as b', 'b.id', 'r.backend_id')
        .selectAll('b')
        .where('r.id', '=', (eb) =>
          eb.fn.coalesce(
            eb.selectFrom('routes').select('id').where('kind', '=', 'mailbox').where('mailbox_id', '=', mailboxId),
            eb.selectFrom('routes').select('id').where('kind', '=', 'domain').where('domain_id', '=', domainId),
            eb.selectFrom('routes').select('id').where('kind', '=', 'default').where('subject', '=', ''),
          ),
        ),
    ),
    // The unknown-user route of a domain or of the domain it aliases, else the global one.
    unknownRoute: prepareQuery(db, (name: string, alias: string) =>
      db
        .selectFrom('routes as r')
        .innerJoin('backends as b', 'b.id', 'r.backend_id')
        .selectAll('b')
        .where('r.id', '=', (eb) =>
          eb.fn.coalesce(
            eb
              .selectFrom('routes')
              .select('id')
              .where('kind', '=', 'unknown')
              .where('domain_id', '=', eb.selectFrom('domains').select('id').where('name', '=', name)),
            eb
              .selectFrom('routes')
              .select('id')
              .where('kind', '=', 'unknown')
              .where('domain_id', '=', eb.selectFrom('domain_aliases').select('domain_id').where('alias', '=', alias)),
            eb.selectFrom('routes').select('id').where('kind', '=', 'unknown').where('subject', '=', ''),
          ),
        ),
    ),
    // The UNIQUE hash finds the row; the mailbox id makes sure it is this mailbox's.
    appPassword: prepareQuery(db, (mailboxId: number, hash: string) =>
      db.selectFrom('app_passwords').selectAll().where('hash', '=', hash).where('mailbox_id', '=', mailboxId),
    ),
    ping: prepareQuery(db, () => db.selectNoFrom(sql<number>`1`.as('one'))),
  };
}

export function createReader(s: Store): DirectoryReader {
  const q = preparedQueries(s);
  const first = <T>(rows: T[]): T | undefined => rows[0];

  async function mailboxAt(address: string) {
    const row = first(await q.mailboxByAddress(address)) ?? first(await q.mailboxByAlias(address));
    return row ? toMailbox(row) : null;
  }

  return {
    async findLogin(login) {
      const parsed = attempt(() => parseAddress(login));
      if (!parsed) return null;
      const direct = first(await q.mailboxByAddress(parsed.address));
      if (direct) return { mailbox: toMailbox(direct), via: 'address' };
      const aliased = first(await q.mailboxByAlias(parsed.address));
      if (aliased) return { mailbox: toMailbox(aliased), via: 'alias' };
      const real = first(await q.domainByAlias(parsed.domain));
      if (!real) return null;
      // `local@aliasdomain` means `local@realdomain`, whether that is a mailbox or an alias.
      const mailbox = await mailboxAt(`${parsed.local}@${real.name}`);
      return mailbox ? { mailbox, via: 'domain-alias' } : null;
    },

    async findDomain(input) {
      const name = attempt(() => parseDomainName(input));
      if (name === null) return null;
      const row = first(await q.domainByName(name)) ?? first(await q.domainByAlias(name));
      if (!row) return null;
      const id = Number(row.id);
      const aliases = (await q.aliasesOfDomain(id)).map((r) => r.alias);
      return { id, name: row.name, aliases, createdAt: row.created_at };
    },

    async findMailboxByCert(match, value) {
      const key = attempt(() => parseCertValue(match, value));
      if (key === null) return null;
      const row = first(await q.mailboxByCert(match, key));
      return row ? toMailbox(row) : null;
    },

    async routeFor(mailbox) {
      const row = first(await q.route(mailbox.id, mailbox.domainId));
      return row ? toBackend(row) : null;
    },

    async unknownRoute(domain) {
      // No domain matches no per-domain route, leaving the global one.
      const name = domain === null ? '' : normaliseName(domain);
      const row = first(await q.unknownRoute(name, name));
      return row ? toBackend(row) : null;
    },

    async findAppPassword(mailboxId, hash) {
      const row = first(await q.appPassword(mailboxId, hash));
      return row ? toAppPassword(row) : null;
    },

    async ping() {
      await q.ping();
    },
  };
}
