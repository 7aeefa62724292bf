/**
 * Address aliases: another address that logs in as, and receives mail for, one mailbox.
 * An alias lives in a served domain (not a domain alias, which would make
 * `x@aliasdomain` ambiguous) and never shadows a mailbox address.
 */
import { DirectoryError, type Alias } from '../directory/types.js';
import { requireDomain } from './domains.js';
import { requireMailbox } from './mailboxes.js';
import { now, uniqueOr, type Store } from './rows.js';
import { parseAddress } from './validate.js';

export async function addAlias(s: Store, aliasInput: string, mailboxInput: string): Promise<Alias> {
  const alias = parseAddress(aliasInput);
  const target = parseAddress(mailboxInput).address;
  if (alias.address === target) throw new DirectoryError('invalid', `an alias cannot point at itself ("${target}")`);
  return s.db.transaction().execute(async (trx) => {
    const domain = await requireDomain(trx, alias.domain);
    const mailbox = await requireMailbox(trx, target);
    if (await trx.selectFrom('mailboxes').select('id').where('address', '=', alias.address).executeTakeFirst()) {
      throw new DirectoryError('exists', `"${alias.address}" is already a mailbox: an alias cannot have the same address`);
    }
    const current = await trx
      .selectFrom('aliases as a')
      .innerJoin('mailboxes as m', 'm.id', 'a.mailbox_id')
      .select('m.address')
      .where('a.address', '=', alias.address)
      .executeTakeFirst();
    if (current) {
      throw new DirectoryError(
        'exists',
        `"${alias.address}" is already an alias of mailbox "${current.address}" (remove it first with "postern alias remove ${alias.address}")`,
      );
    }
    const row = await uniqueOr(s, `alias "${alias.address}" already exists`, () =>
      trx
        .insertInto('aliases')
        .values({ address: alias.address, domain_id: domain.id, mailbox_id: mailbox.id, created_at: now() })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    return { id: Number(row.id), address: alias.address, mailboxId: mailbox.id, mailboxAddress: mailbox.address };
  });
}

export async function listAliases(s: Store, filter?: { mailbox?: string }): Promise<Alias[]> {
  let query = s.db
    .selectFrom('aliases as a')
    .innerJoin('mailboxes as m', 'm.id', 'a.mailbox_id')
    .select(['a.id', 'a.address', 'a.mailbox_id', 'm.address as mailbox_address'])
    .orderBy('a.address');
  if (filter?.mailbox !== undefined) {
    const mailbox = await requireMailbox(s.db, parseAddress(filter.mailbox).address);
    query = query.where('a.mailbox_id', '=', mailbox.id);
  }
  const rows = await query.execute();
  return rows.map((r) => ({ id: Number(r.id), address: r.address, mailboxId: Number(r.mailbox_id), mailboxAddress: r.mailbox_address }));
}

export async function removeAlias(s: Store, input: string): Promise<void> {
  const { address } = parseAddress(input);
  const result = await s.db.deleteFrom('aliases').where('address', '=', address).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) {
    throw new DirectoryError('not-found', `alias "${address}" does not exist (see "postern alias list")`);
  }
}
