/**
 * Mailboxes: add, read, change, remove, and the compare-and-set hash upgrade used by the
 * auth path. A mailbox lives in a served domain (never in a domain alias) and its address
 * may not also be an alias address.
 */
import type { Kysely } from 'kysely';
import { PROTOCOLS } from '../authhttp/types.js';
import { DirectoryError, type Mailbox, type MailboxChanges, type NewMailbox } from '../directory/types.js';
import { keyIdOf } from '../vault/index.js';
import { requireDomain } from './domains.js';
import { joinList, now, toMailbox, uniqueOr, type Store } from './rows.js';
import type { DB } from './schema.js';
import { parseAddress, parseBackendLogin, parseDomainName, parseNetworks, parsePasswordHash, parseProtocols } from './validate.js';

/** A NewMailbox validated and normalised, ready to insert once its domain id is known. */
export interface CheckedMailbox {
  address: string;
  domain: string;
  password_hash: string | null;
  enabled: number;
  protocols: string;
  networks: string;
}

export function checkNewMailbox(input: NewMailbox): CheckedMailbox {
  const { address, domain } = parseAddress(input.address);
  return {
    address,
    domain,
    password_hash: parsePasswordHash(input.passwordHash),
    enabled: input.enabled === false ? 0 : 1,
    protocols: joinList(input.protocols ? parseProtocols(input.protocols) : [...PROTOCOLS]),
    networks: joinList(parseNetworks(input.networks ?? [])),
  };
}

async function aliasTarget(db: Kysely<DB>, address: string): Promise<string | null> {
  const row = await db
    .selectFrom('aliases as a')
    .innerJoin('mailboxes as m', 'm.id', 'a.mailbox_id')
    .select('m.address')
    .where('a.address', '=', address)
    .executeTakeFirst();
  return row?.address ?? null;
}

/** The mailbox at `address` or DirectoryError('not-found'), pointing at the mailbox if `address` is an alias. */
export async function requireMailbox(db: Kysely<DB>, address: string): Promise<Mailbox> {
  const row = await db.selectFrom('mailboxes').selectAll().where('address', '=', address).executeTakeFirst();
  if (row) return toMailbox(row);
  const target = await aliasTarget(db, address);
  if (target !== null) {
    throw new DirectoryError('not-found', `"${address}" is an alias of mailbox "${target}", not a mailbox: use "${target}"`);
  }
  throw new DirectoryError('not-found', `mailbox "${address}" does not exist (see "postern mailbox list")`);
}

export async function addMailbox(s: Store, input: NewMailbox): Promise<Mailbox> {
  const checked = checkNewMailbox(input);
  const { address } = checked;
  return s.db.transaction().execute(async (trx) => {
    const domain = await requireDomain(trx, checked.domain);
    if (await trx.selectFrom('mailboxes').select('id').where('address', '=', address).executeTakeFirst()) {
      throw new DirectoryError('exists', `mailbox "${address}" already exists (change it with "postern mailbox change ${address}")`);
    }
    const target = await aliasTarget(trx, address);
    if (target !== null) {
      throw new DirectoryError(
        'exists',
        `"${address}" is already an alias of mailbox "${target}": remove the alias first with "postern alias remove ${address}"`,
      );
    }
    const at = now();
    const { domain: _domain, ...values } = checked;
    const row = await uniqueOr(s, `mailbox "${address}" already exists`, () =>
      trx
        .insertInto('mailboxes')
        .values({ ...values, domain_id: domain.id, created_at: at, updated_at: at })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return toMailbox(row);
  });
}

export async function getMailbox(s: Store, input: string): Promise<Mailbox | null> {
  const { address } = parseAddress(input);
  const row = await s.db.selectFrom('mailboxes').selectAll().where('address', '=', address).executeTakeFirst();
  return row ? toMailbox(row) : null;
}

export async function listMailboxes(s: Store, filter?: { domain?: string }): Promise<Mailbox[]> {
  let query = s.db.selectFrom('mailboxes').selectAll().orderBy('address');
  if (filter?.domain !== undefined) {
    const name = parseDomainName(filter.domain);
    // Listing by a domain alias is harmless and unambiguous: show the real domain's mailboxes.
    const real =
      (await s.db.selectFrom('domains').select('id').where('name', '=', name).executeTakeFirst()) ??
      (await s.db.selectFrom('domain_aliases').select('domain_id as id').where('alias', '=', name).executeTakeFirst());
    if (!real) throw new DirectoryError('not-found', `domain "${name}" does not exist (see "postern domain list")`);
    query = query.where('domain_id', '=', Number(real.id));
  }
  return (await query.execute()).map(toMailbox);
}

export async function changeMailbox(s: Store, input: string, changes: MailboxChanges): Promise<Mailbox> {
  const { address } = parseAddress(input);
  const set: Partial<Omit<CheckedMailbox, 'address' | 'domain'> & { backend_login: string | null }> = {};
  if (changes.passwordHash !== undefined) set.password_hash = parsePasswordHash(changes.passwordHash);
  if (changes.enabled !== undefined) set.enabled = changes.enabled ? 1 : 0;
  if (changes.protocols !== undefined) set.protocols = joinList(parseProtocols(changes.protocols));
  if (changes.networks !== undefined) set.networks = joinList(parseNetworks(changes.networks));
  if (changes.backendLogin !== undefined) set.backend_login = parseBackendLogin(changes.backendLogin);
  return s.db.transaction().execute(async (trx) => {
    const current = await requireMailbox(trx, address);
    if (Object.keys(set).length === 0) return current;
    const row = await trx
      .updateTable('mailboxes')
      .set({ ...set, updated_at: now() })
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toMailbox(row);
  });
}

export async function replacePasswordHash(s: Store, mailboxId: number, expectedHash: string, newHash: string): Promise<boolean> {
  const hash = parsePasswordHash(newHash);
  // Compare-and-set in one statement: if an admin changed the password since the login
  // read it, the upgrade of the old hash must not overwrite the new one.
  const result = await s.db
    .updateTable('mailboxes')
    .set({ password_hash: hash, updated_at: now() })
    .where('id', '=', mailboxId)
    .where('password_hash', '=', expectedHash)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function setReversibleSecret(s: Store, input: string, ciphertext: string | null): Promise<Mailbox> {
  const { address } = parseAddress(input);
  // Defence in depth: the caller encrypts; a value that is not a vault ciphertext (clear text
  // passed by mistake) is never written.
  if (ciphertext !== null && (typeof ciphertext !== 'string' || keyIdOf(ciphertext) === null)) {
    throw new DirectoryError('invalid', 'a reversible credential must be stored as a vault ciphertext; nothing was written');
  }
  return s.db.transaction().execute(async (trx) => {
    const current = await requireMailbox(trx, address);
    const at = now();
    const row = await trx
      .updateTable('mailboxes')
      .set({ reversible_secret: ciphertext, secret_changed_at: at, updated_at: at })
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toMailbox(row);
  });
}

export async function removeMailbox(s: Store, input: string): Promise<void> {
  const { address } = parseAddress(input);
  await s.db.transaction().execute(async (trx) => {
    const mailbox = await requireMailbox(trx, address);
    // Its aliases, certificate mappings and mailbox route go with it (ON DELETE CASCADE).
    await trx.deleteFrom('mailboxes').where('id', '=', mailbox.id).execute();
  });
}
