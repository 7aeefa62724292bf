/**
 * The console's mailbox operations, one function each, called by the pages and by the API alike
 * so both do exactly the same and write the same audit line. They are the store's own calls
 * and validation (as `postern mailbox ...`): new passwords are checked as the CLI checks them
 * (src/passwords newPasswordProblem) and hashed with argon2id and the configured parameters
 * before the store sees them. What they return never holds a hash or a secret: the password's
 * scheme, and whether a reversible credential is set, under which key id, and whether it can
 * still be read.
 */
import type { Protocol } from '../authhttp/types.js';
import { credentialStatus, type SecretStatus } from '../directory/secret-status.js';
import { DirectoryError, type Backend, type Mailbox, type MailboxChanges, type RouteKind } from '../directory/types.js';
import { hashPassword, newPasswordProblem } from '../passwords/index.js';
import { parseAddress } from '../store/validate.js';
import { audit, type Actor } from './actor.js';
import type { ConsoleDeps } from './context.js';
import { mailboxView, type MailboxView } from './service.js';

export interface MailboxDetail extends MailboxView {
  createdAt: string;
  /** The name the backend knows this mailbox by; null: its address. */
  backendLogin: string | null;
  /** The reversible credential (APOP, CRAM-MD5): set, not set or unreadable, with its key id; never its value. */
  credential: SecretStatus;
  /** Address aliases that log in as, and receive mail for, this mailbox. */
  aliases: string[];
  /** The route its logins take (mailbox, then domain, then default, as the auth path resolves it); null: none, logins fail temporarily. */
  route: { kind: Exclude<RouteKind, 'unknown'>; subject: string | null; backend: string } | null;
  /** What nginx logs in to the backend as: IMAP and POP3 (through the backend's master user when it has one), and SMTP's XCLIENT LOGIN. */
  loginAtBackend: { imapPop3: string; smtp: string };
}

export interface MailboxFilter {
  /** Part of the address, any case. */
  q?: string;
  /** A served domain or one of its aliases. */
  domain?: string;
}

/** Mailboxes by address, narrowed by the filter. */
export async function listMailboxViews(deps: ConsoleDeps, filter: MailboxFilter = {}): Promise<MailboxView[]> {
  const domain = filter.domain?.trim() ?? '';
  const boxes = await deps.store.listMailboxes(domain === '' ? undefined : { domain });
  const q = filter.q?.trim().toLowerCase() ?? '';
  return (q === '' ? boxes : boxes.filter((m) => m.address.includes(q))).map(mailboxView);
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1);

async function detail(deps: ConsoleDeps, m: Mailbox): Promise<MailboxDetail> {
  const [aliases, routes] = await Promise.all([deps.store.listAliases({ mailbox: m.address }), deps.store.listRoutes()]);
  // The same order as the auth path's routeFor: the mailbox's own route, its domain's, the default.
  const route =
    routes.find((r) => r.kind === 'mailbox' && r.subject === m.address) ??
    routes.find((r) => r.kind === 'domain' && r.subject === domainOf(m.address)) ??
    routes.find((r) => r.kind === 'default');
  const backend: Backend | null = route ? await deps.store.getBackend(route.backendName) : null;
  const name = m.backendLogin ?? m.address;
  return {
    ...mailboxView(m),
    createdAt: m.createdAt,
    backendLogin: m.backendLogin,
    credential: credentialStatus(m, deps.keyring),
    aliases: aliases.map((a) => a.address),
    route: route ? { kind: route.kind as Exclude<RouteKind, 'unknown'>, subject: route.subject, backend: route.backendName } : null,
    loginAtBackend: { imapPop3: backend?.masterUser ? `${name}${backend.masterSeparator}${backend.masterUser}` : name, smtp: name },
  };
}

function notFound(address: string): DirectoryError {
  return new DirectoryError('not-found', `mailbox "${address.trim().toLowerCase()}" does not exist (see the Mailboxes page or GET /api/v1/mailboxes)`);
}

export async function getMailboxDetail(deps: ConsoleDeps, address: string): Promise<MailboxDetail> {
  const m = await deps.store.getMailbox(address);
  if (!m) throw notFound(address);
  return detail(deps, m);
}

/** Checks a new password and hashes it (argon2id, configured parameters); a problem is the caller's `invalid`. */
async function newHash(deps: ConsoleDeps, password: string): Promise<string> {
  const problem = newPasswordProblem(password);
  if (problem) throw new DirectoryError('invalid', `${problem}; nothing was changed`);
  return deps.passwords.hash ? deps.passwords.hash(password) : hashPassword(password);
}

export interface NewMailboxInput {
  address: string;
  /** Absent: no password login (e.g. certificate or app passwords only). */
  password?: string;
  protocols?: string[];
  networks?: string[];
  enabled?: boolean;
}

export async function addMailbox(deps: ConsoleDeps, by: Actor, input: NewMailboxInput): Promise<MailboxDetail> {
  // The address first: a typo is reported before the (deliberately slow) hash is made.
  parseAddress(input.address);
  const passwordHash = input.password === undefined ? null : await newHash(deps, input.password);
  const m = await deps.store.addMailbox({
    address: input.address,
    passwordHash,
    ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
    // The store checks the names (parseProtocols) and says which are valid.
    ...(input.protocols !== undefined ? { protocols: input.protocols as Protocol[] } : {}),
    networks: input.networks ?? [],
  });
  audit(deps, by, 'admin-mailbox-added', { mailbox: m.address, enabled: m.enabled, with_password: passwordHash !== null }, 'mailbox added from the console');
  return detail(deps, m);
}

export interface MailboxEdit {
  enabled?: boolean;
  protocols?: string[];
  networks?: string[];
  /** null: log in to the backend with the address again. */
  backendLogin?: string | null;
  /** A new password (hashed here); never stored or logged as given. */
  password?: string;
  /** true: remove the reversible credential (APOP and CRAM-MD5 stop working for this mailbox). */
  clearCredential?: boolean;
}

/** The names of the fields an edit changes, for the audit line and "nothing to change". */
export function editedFields(edit: MailboxEdit): string[] {
  return (Object.keys(edit) as Array<keyof MailboxEdit>).filter((k) => edit[k] !== undefined && (k !== 'clearCredential' || edit[k] === true));
}

export async function changeMailbox(deps: ConsoleDeps, by: Actor, address: string, edit: MailboxEdit): Promise<MailboxDetail> {
  const changes: MailboxChanges = {};
  if (edit.enabled !== undefined) changes.enabled = edit.enabled;
  if (edit.protocols !== undefined) changes.protocols = edit.protocols as Protocol[];
  if (edit.networks !== undefined) changes.networks = edit.networks;
  if (edit.backendLogin !== undefined) changes.backendLogin = edit.backendLogin;
  if (edit.password !== undefined) changes.passwordHash = await newHash(deps, edit.password);
  let m = await deps.store.changeMailbox(address, changes);
  if (edit.clearCredential) m = await deps.store.setReversibleSecret(m.address, null);
  audit(deps, by, 'admin-mailbox-changed', { mailbox: m.address, changed: editedFields(edit), enabled: m.enabled }, 'mailbox changed from the console');
  return detail(deps, m);
}

/** Removes the mailbox with its aliases, certificate mappings and route (as `postern mailbox remove`). */
export async function removeMailbox(deps: ConsoleDeps, by: Actor, address: string): Promise<string> {
  const removed = parseAddress(address).address;
  await deps.store.removeMailbox(removed);
  audit(deps, by, 'admin-mailbox-removed', { mailbox: removed }, 'mailbox removed from the console');
  return removed;
}
