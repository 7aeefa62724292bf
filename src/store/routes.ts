/**
 * Routes: which backend a login goes to. Subjects are stored normalised (a mailbox address
 * or a served domain name) with '' for "none", and carry a foreign key to their mailbox or
 * domain so a route never outlives what it routes.
 */
import { DirectoryError, type Route, type RouteKind } from '../directory/types.js';
import { requireBackend } from './backends.js';
import { requireDomain } from './domains.js';
import { requireMailbox } from './mailboxes.js';
import { describeRoute, now, toSubject, type Store } from './rows.js';
import { parseAddress, parseBackendName, parseDomainName } from './validate.js';

const KINDS: readonly RouteKind[] = ['mailbox', 'domain', 'default', 'unknown'];

function checkKind(kind: RouteKind): RouteKind {
  if (!KINDS.includes(kind)) throw new DirectoryError('invalid', `route kind must be one of ${KINDS.join(', ')}, not "${String(kind)}"`);
  return kind;
}

/** The stored subject key for (kind, subject), validated but not looked up. */
function subjectKey(kind: RouteKind, subject: string | null): string {
  const given = subject === null ? '' : subject.trim();
  switch (kind) {
    case 'mailbox':
      if (given === '') throw new DirectoryError('invalid', 'a mailbox route needs the mailbox address');
      return parseAddress(given).address;
    case 'domain':
      if (given === '') throw new DirectoryError('invalid', 'a domain route needs the domain name');
      return parseDomainName(given);
    case 'default':
      if (given !== '') throw new DirectoryError('invalid', `the default route has no subject (got "${given}")`);
      return '';
    case 'unknown':
      return given === '' ? '' : parseDomainName(given);
  }
}

export async function setRoute(s: Store, kindInput: RouteKind, subject: string | null, backendInput: string): Promise<Route> {
  const kind = checkKind(kindInput);
  const key = subjectKey(kind, subject);
  const backendName = parseBackendName(backendInput);
  return s.db.transaction().execute(async (trx) => {
    const backend = await requireBackend(trx, backendName);
    let mailboxId: number | null = null;
    let domainId: number | null = null;
    if (kind === 'mailbox') mailboxId = (await requireMailbox(trx, key)).id;
    else if (key !== '') domainId = (await requireDomain(trx, key)).id;
    // Create or repoint in one statement; (kind, subject) is UNIQUE, '' included.
    const row = await trx
      .insertInto('routes')
      .values({ kind, subject: key, mailbox_id: mailboxId, domain_id: domainId, backend_id: backend.id, created_at: now() })
      .onConflict((oc) => oc.columns(['kind', 'subject']).doUpdateSet({ backend_id: backend.id }))
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: Number(row.id), kind, subject: toSubject(key), backendId: backend.id, backendName: backend.name };
  });
}

export async function listRoutes(s: Store): Promise<Route[]> {
  const rows = await s.db
    .selectFrom('routes as r')
    .innerJoin('backends as b', 'b.id', 'r.backend_id')
    .select(['r.id', 'r.kind', 'r.subject', 'r.backend_id', 'b.name as backend_name'])
    .orderBy('r.kind')
    .orderBy('r.subject')
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind as RouteKind,
    subject: toSubject(r.subject),
    backendId: Number(r.backend_id),
    backendName: r.backend_name,
  }));
}

export async function removeRoute(s: Store, kindInput: RouteKind, subject: string | null): Promise<void> {
  const kind = checkKind(kindInput);
  const key = subjectKey(kind, subject);
  const result = await s.db.deleteFrom('routes').where('kind', '=', kind).where('subject', '=', key).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) {
    throw new DirectoryError('not-found', `there is no ${describeRoute(kind, toSubject(key))} route (see "postern route list")`);
  }
}
