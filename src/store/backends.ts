/**
 * Backends: the mail servers logins are routed to, with one port per protocol. A backend
 * that a route still points at cannot be removed; the error names those routes.
 */
import type { Kysely } from 'kysely';
import { DirectoryError, type Backend, type BackendMaster, type BackendPorts, type NewBackend } from '../directory/types.js';
import { keyIdOf } from '../vault/index.js';
import { describeRoute, inUseOr, now, toBackend, uniqueOr, type Store } from './rows.js';
import type { DB } from './schema.js';
import { parseBackendName, parseHost, parseMasterSeparator, parseMasterUser, parsePort } from './validate.js';

type PortColumns = { imap_port: number | null; pop3_port: number | null; smtp_port: number | null; mx_port: number | null };

function checkPorts(ports: Partial<BackendPorts>, base: PortColumns): PortColumns {
  const pick = (key: keyof BackendPorts, column: keyof PortColumns) =>
    ports[key] === undefined ? base[column] : parsePort(ports[key], key.toUpperCase());
  const out = { imap_port: pick('imap', 'imap_port'), pop3_port: pick('pop3', 'pop3_port'), smtp_port: pick('smtp', 'smtp_port'), mx_port: pick('mx', 'mx_port') };
  if (Object.values(out).every((p) => p === null)) {
    throw new DirectoryError('invalid', 'a backend needs at least one port (IMAP, POP3, SMTP or MX), e.g. --imap-port 143');
  }
  return out;
}

export async function requireBackend(db: Kysely<DB>, name: string): Promise<Backend> {
  const row = await db.selectFrom('backends').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw new DirectoryError('not-found', `backend "${name}" does not exist: add it with "postern backend add ${name} --host <host> --imap-port 143"`);
  return toBackend(row);
}

export async function addBackend(s: Store, input: NewBackend): Promise<Backend> {
  const name = parseBackendName(input.name);
  const host = parseHost(input.host);
  const ports = checkPorts(input.ports, { imap_port: null, pop3_port: null, smtp_port: null, mx_port: null });
  return s.db.transaction().execute(async (trx) => {
    if (await trx.selectFrom('backends').select('id').where('name', '=', name).executeTakeFirst()) {
      throw new DirectoryError('exists', `backend "${name}" already exists (change it with "postern backend change ${name}")`);
    }
    const row = await uniqueOr(s, `backend "${name}" already exists`, () =>
      trx.insertInto('backends').values({ name, host, ...ports, created_at: now() }).returningAll().executeTakeFirstOrThrow(),
    );
    return toBackend(row);
  });
}

export async function getBackend(s: Store, input: string): Promise<Backend | null> {
  const row = await s.db.selectFrom('backends').selectAll().where('name', '=', parseBackendName(input)).executeTakeFirst();
  return row ? toBackend(row) : null;
}

export async function listBackends(s: Store): Promise<Backend[]> {
  return (await s.db.selectFrom('backends').selectAll().orderBy('name').execute()).map(toBackend);
}

export async function changeBackend(
  s: Store,
  input: string,
  changes: Partial<Omit<NewBackend, 'ports'>> & { ports?: Partial<BackendPorts> },
): Promise<Backend> {
  const name = parseBackendName(input);
  const newName = changes.name === undefined ? undefined : parseBackendName(changes.name);
  const host = changes.host === undefined ? undefined : parseHost(changes.host);
  return s.db.transaction().execute(async (trx) => {
    const current = await requireBackend(trx, name);
    if (newName !== undefined && newName !== name && (await trx.selectFrom('backends').select('id').where('name', '=', newName).executeTakeFirst())) {
      throw new DirectoryError('exists', `cannot rename backend "${name}" to "${newName}": that name is taken`);
    }
    const p = current.ports;
    const ports = checkPorts(changes.ports ?? {}, { imap_port: p.imap, pop3_port: p.pop3, smtp_port: p.smtp, mx_port: p.mx });
    const row = await uniqueOr(s, `backend "${newName ?? name}" already exists`, () =>
      trx
        .updateTable('backends')
        .set({ ...ports, ...(newName !== undefined ? { name: newName } : {}), ...(host !== undefined ? { host } : {}) })
        .where('id', '=', current.id)
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return toBackend(row);
  });
}

export async function removeBackend(s: Store, input: string): Promise<void> {
  const name = parseBackendName(input);
  await s.db.transaction().execute(async (trx) => {
    const backend = await requireBackend(trx, name);
    const routes = await trx.selectFrom('routes').select(['kind', 'subject']).where('backend_id', '=', backend.id).orderBy('kind').orderBy('subject').execute();
    if (routes.length > 0) {
      const shown = routes.slice(0, 10).map((r) => describeRoute(r.kind, r.subject));
      const more = routes.length > 10 ? ` and ${routes.length - 10} more` : '';
      throw new DirectoryError(
        'in-use',
        `backend "${name}" is still used by ${routes.length} route${routes.length === 1 ? '' : 's'} (${shown.join('; ')}${more}): ` +
          `point them at another backend with "postern route set ... --backend <other>" or remove them with "postern route remove ...", then remove the backend`,
      );
    }
    await inUseOr(s, `backend "${name}" is still used by a route (see "postern route list")`, () =>
      trx.deleteFrom('backends').where('id', '=', backend.id).execute(),
    );
  });
}

/**
 * Sets or (with null) clears the backend's master login. The password arrives encrypted (the
 * caller holds the keyring); anything that is not a vault ciphertext is refused, so a clear-text
 * password passed by mistake is never written. Clearing keeps the separator.
 */
export async function setBackendMaster(s: Store, input: string, master: BackendMaster | null): Promise<Backend> {
  const name = parseBackendName(input);
  let values: { master_user: string | null; master_secret: string | null; master_separator?: string };
  if (master === null) {
    values = { master_user: null, master_secret: null };
  } else {
    if (typeof master.ciphertext !== 'string' || keyIdOf(master.ciphertext) === null) {
      throw new DirectoryError('invalid', 'a master password must be stored as a vault ciphertext; nothing was written');
    }
    const separator = parseMasterSeparator(master.separator);
    values = { master_user: parseMasterUser(master.user, separator), master_secret: master.ciphertext, master_separator: separator };
  }
  return s.db.transaction().execute(async (trx) => {
    const current = await requireBackend(trx, name);
    const row = await trx
      .updateTable('backends')
      .set({ ...values, master_changed_at: now() })
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toBackend(row);
  });
}
