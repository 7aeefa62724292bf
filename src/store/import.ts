/**
 * Bulk import of mailboxes (a Dovecot passwd-file, a migration). All rows are validated
 * before the database is touched, then inserted in one transaction in multi-row batches,
 * so 100k rows take seconds and a bad row leaves nothing half-imported. Addresses that
 * already exist are skipped and reported, never overwritten.
 */
import { DirectoryError, type NewMailbox } from '../directory/types.js';
import { checkNewMailbox, type CheckedMailbox } from './mailboxes.js';
import { now, type Store } from './rows.js';

/** Rows per statement: 8 columns x 500 stays far below SQLite's and PostgreSQL's parameter limits. */
const BATCH = 500;
/** How many problems an error message lists before "and N more". */
const SHOWN = 5;

function summarise(problems: string[]): string {
  const more = problems.length > SHOWN ? `; and ${problems.length - SHOWN} more` : '';
  return problems.slice(0, SHOWN).join('; ') + more;
}

export async function importMailboxes(s: Store, rows: NewMailbox[]): Promise<{ added: number; existing: string[] }> {
  const checked: CheckedMailbox[] = [];
  const existing: string[] = [];
  const seen = new Set<string>();
  const problems: string[] = [];
  rows.forEach((row, i) => {
    try {
      const c = checkNewMailbox(row);
      // A repeated address in the input is reported like one already in the database.
      if (seen.has(c.address)) existing.push(c.address);
      else {
        seen.add(c.address);
        checked.push(c);
      }
    } catch (err) {
      if (!(err instanceof DirectoryError)) throw err;
      problems.push(`row ${i + 1}: ${err.message}`);
    }
  });
  if (problems.length > 0) {
    throw new DirectoryError('invalid', `${problems.length} row(s) are invalid, nothing was imported: ${summarise(problems)}`);
  }

  return s.db.transaction().execute(async (trx) => {
    const domainIds = new Map<string, number>();
    for (const d of await trx.selectFrom('domains').select(['id', 'name']).execute()) domainIds.set(d.name, Number(d.id));
    const missing = [...new Set(checked.map((c) => c.domain).filter((d) => !domainIds.has(d)))];
    const aliased = missing.length === 0 ? undefined : await trx
      .selectFrom('domain_aliases as da')
      .innerJoin('domains as d', 'd.id', 'da.domain_id')
      .select(['da.alias', 'd.name'])
      .where('da.alias', 'in', missing.slice(0, BATCH))
      .executeTakeFirst();
    if (aliased) {
      throw new DirectoryError(
        'invalid',
        `"${aliased.alias}" is an alias of domain "${aliased.name}", nothing was imported: mailboxes live in "${aliased.name}"`,
      );
    }
    if (missing.length > 0) {
      throw new DirectoryError(
        'not-found',
        `${missing.length === 1 ? 'domain' : 'domains'} ${missing.slice(0, SHOWN).map((d) => `"${d}"`).join(', ')}` +
          `${missing.length > SHOWN ? ` and ${missing.length - SHOWN} more` : ''} ${missing.length === 1 ? 'does' : 'do'} not exist, ` +
          `nothing was imported: add ${missing.length === 1 ? 'it' : 'them'} first with "postern domain add ${missing[0]}"`,
      );
    }

    const at = now();
    let added = 0;
    for (let start = 0; start < checked.length; start += BATCH) {
      const batch = checked.slice(start, start + BATCH);
      const addresses = batch.map((c) => c.address);
      const clash = await trx.selectFrom('aliases').select('address').where('address', 'in', addresses).execute();
      if (clash.length > 0) {
        throw new DirectoryError(
          'exists',
          `${clash.map((c) => `"${c.address}"`).join(', ')} ${clash.length === 1 ? 'is already an alias address' : 'are already alias addresses'}, ` +
            `nothing was imported: remove the alias ("postern alias remove ...") or drop the row`,
        );
      }
      const present = new Set(
        (await trx.selectFrom('mailboxes').select('address').where('address', 'in', addresses).execute()).map((r) => r.address),
      );
      const fresh = batch.filter((c) => !present.has(c.address));
      for (const c of batch) if (present.has(c.address)) existing.push(c.address);
      if (fresh.length === 0) continue;
      const result = await trx
        .insertInto('mailboxes')
        .values(
          fresh.map(({ domain, ...values }) => ({ ...values, domain_id: domainIds.get(domain) as number, created_at: at, updated_at: at })),
        )
        .executeTakeFirst();
      added += Number(result.numInsertedOrUpdatedRows ?? 0n);
    }
    return { added, existing };
  });
}
