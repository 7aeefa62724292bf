/**
 * The console's backend operations, one function each, called by the pages and by the API alike
 * so both do exactly the same and write the same audit line. They are the store's own calls and
 * validation (as `postern backend ...`); the master password is sealed in the vault by the same
 * function the CLI uses (src/directory/master-login.ts) and is never returned: a backend shows
 * its master user and whether the password is set, under which key id, or UNREADABLE.
 */
import { setMasterLogin, VaultOffError } from '../directory/master-login.js';
import { masterStatus, type SecretStatus } from '../directory/secret-status.js';
import { DirectoryError, type Backend, type BackendPorts, type Route } from '../directory/types.js';
import { parseBackendName } from '../store/validate.js';
import { audit, type Actor } from './actor.js';
import type { ConsoleDeps } from './context.js';

export const PORT_NAMES = ['imap', 'pop3', 'smtp', 'mx'] as const;

export interface BackendView {
  name: string;
  /** An IP literal or a host name (Postern resolves names; nginx takes only IPs). */
  host: string;
  ports: BackendPorts;
  /** The master login (Dovecot master user) for IMAP/POP3; null: nginx logs in as the user. */
  master: { user: string; separator: string; password: SecretStatus } | null;
  /** The routes that send logins here; while there are any, the backend cannot be removed. */
  routes: Array<{ kind: Route['kind']; subject: string | null }>;
}

function view(b: Backend, routes: Route[], deps: ConsoleDeps): BackendView {
  return {
    name: b.name,
    host: b.host,
    ports: { ...b.ports },
    master: b.masterUser === null ? null : { user: b.masterUser, separator: b.masterSeparator, password: masterStatus(b, deps.keyring) },
    routes: routes.filter((r) => r.backendId === b.id).map((r) => ({ kind: r.kind, subject: r.subject })),
  };
}

export async function listBackendViews(deps: ConsoleDeps): Promise<BackendView[]> {
  const [backends, routes] = await Promise.all([deps.store.listBackends(), deps.store.listRoutes()]);
  return backends.map((b) => view(b, routes, deps));
}

async function viewOf(deps: ConsoleDeps, b: Backend): Promise<BackendView> {
  return view(b, await deps.store.listRoutes(), deps);
}

export async function getBackendView(deps: ConsoleDeps, name: string): Promise<BackendView> {
  const b = await deps.store.getBackend(name);
  if (!b) throw new DirectoryError('not-found', `backend "${name.trim().toLowerCase()}" does not exist (see the Backends page or GET /api/v1/backends)`);
  return viewOf(deps, b);
}

export interface BackendInput {
  name: string;
  host: string;
  ports: Partial<BackendPorts>;
}

export async function addBackend(deps: ConsoleDeps, by: Actor, input: BackendInput): Promise<BackendView> {
  const b = await deps.store.addBackend(input);
  audit(deps, by, 'admin-backend-added', { backend: b.name, host: b.host, ports: b.ports }, 'backend added from the console');
  return viewOf(deps, b);
}

export interface BackendEdit {
  host?: string;
  /** A port given as null stops serving that protocol; one left out is kept. */
  ports?: Partial<BackendPorts>;
}

export async function changeBackend(deps: ConsoleDeps, by: Actor, name: string, edit: BackendEdit): Promise<BackendView> {
  const b = await deps.store.changeBackend(name, { ...(edit.host !== undefined ? { host: edit.host } : {}), ...(edit.ports ? { ports: edit.ports } : {}) });
  audit(deps, by, 'admin-backend-changed', { backend: b.name, host: b.host, ports: b.ports }, 'backend changed from the console');
  return viewOf(deps, b);
}

/** Refused with `in-use` (naming the routes) while a route sends logins to the backend. */
export async function removeBackend(deps: ConsoleDeps, by: Actor, name: string): Promise<string> {
  const removed = parseBackendName(name);
  await deps.store.removeBackend(removed);
  audit(deps, by, 'admin-backend-removed', { backend: removed }, 'backend removed from the console');
  return removed;
}

export interface MasterInput {
  user: string;
  separator?: string;
  /** The master password; sealed under the active vault key, never stored, returned or logged as given. */
  password: string;
}

/** Refused with VaultOffError when the vault is off; the password is zeroed once sealed. */
export async function setMaster(deps: ConsoleDeps, by: Actor, name: string, input: MasterInput): Promise<BackendView> {
  if (!deps.keyring) throw new VaultOffError('a master password');
  const password = Buffer.from(input.password, 'utf8');
  try {
    const b = await setMasterLogin(deps.store, deps.keyring, name, { user: input.user, password, ...(input.separator !== undefined ? { separator: input.separator } : {}) });
    audit(deps, by, 'admin-backend-master-set', { backend: b.name, master_user: b.masterUser, key_id: deps.keyring.active.id }, 'backend master login set from the console');
    return viewOf(deps, b);
  } finally {
    password.fill(0);
  }
}

export async function clearMaster(deps: ConsoleDeps, by: Actor, name: string): Promise<BackendView> {
  const b = await deps.store.setBackendMaster(name, null);
  audit(deps, by, 'admin-backend-master-cleared', { backend: b.name }, 'backend master login cleared from the console');
  return viewOf(deps, b);
}
