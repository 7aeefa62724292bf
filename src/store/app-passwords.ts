/**
 * App passwords in the directory database: add (only a hash is accepted, never a password),
 * list, revoke, and the last-used write. The auth path's lookup is in reader.ts
 * (findAppPassword), compiled once like the other hot-path queries.
 */
import type { Selectable } from 'kysely';
import type { AppPasswordAdmin, AppPasswordRecord, NewAppPassword } from '../app-passwords/types.js';
import type { AppPassword } from '../app-passwords/types.js';
import { PROTOCOLS, type Protocol } from '../authhttp/types.js';
import { DirectoryError } from '../directory/types.js';
import { requireMailbox } from './mailboxes.js';
import { joinList, now, uniqueOr, type Store } from './rows.js';
import type { AppPasswordsTable } from './schema.js';
import { normaliseName, parseAddress, parseNetworks, parseProtocols } from './validate.js';

const MAX_LABEL = 64;

function invalid(message: string): never {
  throw new DirectoryError('invalid', message);
}

/** A label: 1-64 characters without control characters, trimmed. */
export function parseAppPasswordLabel(value: string): string {
  const label = typeof value === 'string' ? value.trim().normalize('NFC') : '';
  if (label === '' || [...label].length > MAX_LABEL || /\p{Cc}/u.test(label)) {
    invalid(`an app password label must be 1-${MAX_LABEL} characters without control characters, naming what uses it, e.g. "alice's phone"`);
  }
  return label;
}

function checkHash(value: string): string {
  // Only a digest can be stored: clear text handed here by mistake is refused, never kept.
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) invalid('an app password is stored only as its hex SHA-256 (generateAppPassword)');
  return value;
}

function checkExpiry(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const t = Date.parse(value);
  if (Number.isNaN(t)) invalid(`"${value}" is not an ISO-8601 time for the expiry`);
  return new Date(t).toISOString();
}

function splitList(text: string): string[] {
  return text === '' ? [] : text.split(',');
}

export function toAppPassword(row: Selectable<AppPasswordsTable>): AppPassword {
  return {
    id: Number(row.id),
    mailboxId: Number(row.mailbox_id),
    label: row.label,
    // Filter defensively, as for mailboxes: a value written by hand must not widen access.
    protocols: splitList(row.protocols).filter((p): p is Protocol => (PROTOCOLS as readonly string[]).includes(p)),
    networks: splitList(row.networks),
    expiresAt: row.expires_at ?? null,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at ?? null,
    revokedAt: row.revoked_at ?? null,
  };
}

function listQuery(s: Store) {
  return s.db.selectFrom('app_passwords as p').innerJoin('mailboxes as m', 'm.id', 'p.mailbox_id').selectAll('p').select('m.address as mailbox_address');
}

type ListRow = Selectable<AppPasswordsTable> & { mailbox_address: string };

const toRecord = (row: ListRow): AppPasswordRecord => ({ ...toAppPassword(row), mailboxAddress: row.mailbox_address });

export async function addAppPassword(s: Store, input: NewAppPassword): Promise<AppPasswordRecord> {
  const { address } = parseAddress(input.mailbox);
  const label = parseAppPasswordLabel(input.label);
  const hash = checkHash(input.hash);
  const networks = parseNetworks(input.networks ?? []);
  const expiresAt = checkExpiry(input.expiresAt);
  const id = await s.db.transaction().execute(async (trx) => {
    const mailbox = await requireMailbox(trx, address);
    const protocols = input.protocols === undefined ? mailbox.protocols : parseProtocols(input.protocols);
    const refused = protocols.filter((p) => !mailbox.protocols.includes(p));
    if (refused.length > 0) {
      invalid(
        `mailbox "${address}" may not use ${refused.join(', ')} (it allows ${mailbox.protocols.join(', ')}): leave ${refused.length === 1 ? 'it' : 'them'} out, ` +
          `or allow ${refused.length === 1 ? 'it' : 'them'} first with "postern mailbox change ${address} --protocols ..."`,
      );
    }
    // Two live app passwords with one label could not be told apart in the log or a listing.
    const clash = await trx
      .selectFrom('app_passwords')
      .select('id')
      .where('mailbox_id', '=', mailbox.id)
      .where('revoked_at', 'is', null)
      .where('label', '=', label)
      .executeTakeFirst();
    if (clash) {
      throw new DirectoryError('exists', `mailbox "${address}" already has an app password labelled ${JSON.stringify(label)} (id ${clash.id}): choose another label, or revoke that one first`);
    }
    const row = await uniqueOr(s, 'that app password hash is already stored: generate a new password', () =>
      trx
        .insertInto('app_passwords')
        .values({
          mailbox_id: mailbox.id,
          label,
          hash,
          protocols: joinList(protocols),
          networks: joinList(networks),
          expires_at: expiresAt,
          created_at: now(),
          last_used_at: null,
          revoked_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    return Number(row.id);
  });
  return toRecord((await listQuery(s).where('p.id', '=', id).executeTakeFirstOrThrow()) as ListRow);
}

export async function listAppPasswords(s: Store, filter: { mailbox?: string } = {}): Promise<AppPasswordRecord[]> {
  let q = listQuery(s).orderBy('m.address').orderBy('p.id');
  if (filter.mailbox !== undefined) {
    const mailbox = await requireMailbox(s.db, parseAddress(filter.mailbox).address);
    q = q.where('p.mailbox_id', '=', mailbox.id);
  }
  return ((await q.execute()) as ListRow[]).map(toRecord);
}

export async function revokeAppPassword(s: Store, id: number, opts: { mailbox?: string } = {}): Promise<{ appPassword: AppPasswordRecord; already: boolean }> {
  if (!Number.isSafeInteger(id) || id < 1) throw new DirectoryError('not-found', `"${String(id)}" is not an app password id: give the number "postern app-password list" shows`);
  const found = (await listQuery(s).where('p.id', '=', id).executeTakeFirst()) as ListRow | undefined;
  const mailbox = opts.mailbox === undefined ? undefined : normaliseName(opts.mailbox);
  if (!found || (mailbox !== undefined && found.mailbox_address !== mailbox)) {
    const whose = mailbox === undefined ? '' : ` of mailbox "${mailbox}"`;
    throw new DirectoryError('not-found', `there is no app password ${id}${whose} (see "postern app-password list${mailbox === undefined ? '' : ` ${mailbox}`}")`);
  }
  if (found.revoked_at !== null) return { appPassword: toRecord(found), already: true };
  // Compare-and-set: of two concurrent revocations one writes, the other reports "already".
  const res = await s.db.updateTable('app_passwords').set({ revoked_at: now() }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  const after = (await listQuery(s).where('p.id', '=', id).executeTakeFirstOrThrow()) as ListRow;
  return { appPassword: toRecord(after), already: Number(res.numUpdatedRows) === 0 };
}

export async function touchAppPassword(s: Store, id: number, at: string): Promise<void> {
  // Never moves backwards (two processes, or a write that arrives late).
  await s.db
    .updateTable('app_passwords')
    .set({ last_used_at: at })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
    .execute();
}

export function createAppPasswordStore(s: Store): AppPasswordAdmin {
  return {
    addAppPassword: (input) => addAppPassword(s, input),
    listAppPasswords: (filter) => listAppPasswords(s, filter),
    revokeAppPassword: (id, opts) => revokeAppPassword(s, id, opts),
    touchAppPassword: (id, at) => touchAppPassword(s, id, at),
  };
}
