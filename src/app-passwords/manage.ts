/**
 * The operations on app passwords, shared by the command line, the console's pages and its API
 * so all three do exactly the same: create (generate, hash, store; the password is returned
 * to be shown once and is never kept), list as a view with the state spelt out, and revoke.
 */
import { DirectoryError } from '../directory/types.js';
import { parseExpiry } from './expiry.js';
import { appPasswordState, type AppPasswordState } from './scope.js';
import { generateAppPassword } from './secret.js';
import type { AppPasswordAdmin, AppPasswordRecord } from './types.js';

/** What listings show: never the password, never its hash. */
export interface AppPasswordView {
  id: number;
  mailbox: string;
  label: string;
  protocols: string[];
  networks: string[];
  expiresAt: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  state: AppPasswordState;
}

export function appPasswordView(r: AppPasswordRecord, now: Date): AppPasswordView {
  return {
    id: r.id,
    mailbox: r.mailboxAddress,
    label: r.label,
    protocols: [...r.protocols],
    networks: [...r.networks],
    expiresAt: r.expiresAt,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    revokedAt: r.revokedAt,
    state: appPasswordState(r, now),
  };
}

export interface CreateAppPassword {
  mailbox: string;
  label: string;
  /** Default: the mailbox's protocols. */
  protocols?: readonly string[];
  networks?: readonly string[];
  /** As parseExpiry reads it (`2027-01-01`, `90d`, `never`); absent: never. */
  expires?: string;
}

/** Creates one; `password` is the only copy there will ever be. */
export async function createAppPassword(store: AppPasswordAdmin, input: CreateAppPassword, now: Date): Promise<{ password: string; appPassword: AppPasswordView }> {
  const expiry = parseExpiry(input.expires, now);
  if (!expiry.ok) throw new DirectoryError('invalid', expiry.message);
  const { password, hash } = generateAppPassword();
  const record = await store.addAppPassword({
    mailbox: input.mailbox,
    label: input.label,
    ...(input.protocols !== undefined ? { protocols: input.protocols } : {}),
    networks: input.networks ?? [],
    expiresAt: expiry.expiresAt,
    hash,
  });
  return { password, appPassword: appPasswordView(record, now) };
}

export async function listAppPasswords(store: AppPasswordAdmin, mailbox: string | undefined, now: Date): Promise<AppPasswordView[]> {
  return (await store.listAppPasswords(mailbox === undefined ? {} : { mailbox })).map((r) => appPasswordView(r, now));
}

export async function revokeAppPassword(store: AppPasswordAdmin, id: number, mailbox: string | undefined, now: Date): Promise<{ appPassword: AppPasswordView; already: boolean }> {
  const r = await store.revokeAppPassword(id, mailbox === undefined ? {} : { mailbox });
  return { appPassword: appPasswordView(r.appPassword, now), already: r.already };
}

/** "imap, smtp from 192.0.2.0/24" / "imap from anywhere": one line for listings. */
export function describeScope(v: Pick<AppPasswordView, 'protocols' | 'networks'>): string {
  return `${v.protocols.join(', ')} from ${v.networks.length > 0 ? v.networks.join(', ') : 'anywhere'}`;
}
