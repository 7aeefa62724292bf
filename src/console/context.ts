/**
 * One console request as the handlers see it: who the client is (resolved through trusted
 * proxies), where in the app it is (the path after Postern's mount and the public prefix),
 * its cookies, and who is logged in. Built once per request by app.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Admin, AdminSettings, ApiToken, SessionRecord } from '../admin/index.js';
import type { Forwarding, HeaderList, PathMapping } from '../http/index.js';
import type { ConnectionInfo } from './listener.js';

export type Auth =
  | { kind: 'session'; admin: Admin; session: SessionRecord; sessionId: string; csrf: string }
  | { kind: 'token'; admin: Admin; token: ApiToken };

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  conn: ConnectionInfo;
  settings: AdminSettings;
  method: string;
  /** The request target as received, and as it was after Postern's mount path. */
  target: string;
  mountedTarget: string;
  headers: HeaderList;
  fwd: Forwarding;
  /** The app's own path (`/mailboxes`), whatever the proxy kept or stripped. */
  appPath: string;
  query: URLSearchParams;
  via: Extract<PathMapping, { kind: 'app' }>['via'];
  cookies: Map<string, string>;
  now: Date;
  auth: Auth | null;
}

/** The client IP for counters, sessions and logs: resolved, or the socket's when unknown. */
export function clientIp(ctx: Ctx): string {
  return ctx.fwd.clientIp ?? ctx.conn.socketPeer ?? 'unknown';
}

/** What the console is built from; passed in explicitly (serve wires the real ones, tests too). */
export interface ConsoleDeps {
  settings: AdminSettings;
  store: import('./service.js').ConsoleStore;
  defence: import('../admin/index.js').LoginDefence;
  passwords: {
    verify(stored: string, password: string): Promise<boolean>;
    /** Same cost as verify, for unknown names (src/passwords dummyVerify). */
    dummyVerify(password: string): Promise<false>;
    /**
     * Hashes a new mailbox password: argon2id with the configured parameters (serve passes
     * src/passwords hashPassword with the runtime's argon2 settings, as the CLI does). Absent:
     * Postern's default parameters (DEFAULT_ARGON2).
     */
    hash?(password: string): Promise<string>;
  };
  /** The [history] settings, for what the history page and the dashboard say; absent: the defaults (on, 30 days). */
  history?: import('../history/index.js').HistorySettings;
  /** The vault keyring for TOTP secrets; null: the vault is off, and 2FA cannot be set up. */
  keyring: import('../vault/index.js').Keyring | null;
  log: import('../log/logger.js').Logger;
  clock?: () => Date;
}
