/**
 * Test helper for the console's management features (domains, aliases, routes, tokens): a real
 * console server on 127.0.0.1:0 over a real SQLite directory, its log lines captured as JSON,
 * and the requests those tests make, signed in as a real admin through the login form.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { adminSettings, createLoginDefence } from '../admin/index.js';
import { configSchema } from '../config/schema.js';
import { createMemoryCounters } from '../defence/memory-counters.js';
import { createLogger } from '../log/logger.js';
import { dummyVerify, hashPassword, verifyPassword } from '../passwords/index.js';
import { openTempDirectory, type TempDirectory } from '../store/test-support.js';
import type { Keyring } from '../vault/index.js';
import { createConsoleServer, type ConsoleServer } from './index.js';
import { consoleClient, type Res } from './test-support.js';

const CHEAP = { memoryKiB: 1024, iterations: 1, parallelism: 1 };
export const TEST_PASSWORD = 'a long password';
export const ORIGIN = 'http://console.test';
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN };

export interface Session {
  cookie: string;
  csrf: string;
}

export interface TestConsole {
  t: TempDirectory;
  server: ConsoleServer;
  /** Every log line so far, parsed. */
  logs: Array<Record<string, unknown>>;
  /** Everything logged so far, as written. */
  logText(): string;
  http: ReturnType<typeof consoleClient>;
  /** Signs `name` in with the password form; answers its cookie and CSRF token. */
  session(name?: string): Promise<Session>;
  /** A page form post under /gw with the session's CSRF token (unless `csrf: null`). */
  post(s: Session, path: string, fields?: Record<string, string>, opts?: { csrf?: string | null }): Promise<Res>;
  /** An API request under /gw/api/v1 with a session (and its CSRF token) or a Bearer token. */
  api(method: string, path: string, who: Session | { token: string }, body?: unknown, opts?: { csrf?: string | null }): Promise<Res>;
  close(): Promise<void>;
}

export async function startTestConsole(opts: { keyring?: Keyring | null; admins?: string[]; clock?: () => Date } = {}): Promise<TestConsole> {
  const t = await openTempDirectory();
  for (const name of opts.admins ?? ['root']) await t.dir.addAdmin(name, await hashPassword(TEST_PASSWORD, CHEAP));
  let text = '';
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write: (chunk, _enc, done) => {
      text += chunk.toString();
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const settings = adminSettings(configSchema.parse({ admin: { public_url: `${ORIGIN}/gw/`, login_ip_limit: 50, login_name_limit: 50 } }).admin);
  const server = createConsoleServer({
    settings,
    store: t.dir,
    defence: createLoginDefence(settings.login, createMemoryCounters({ maxKeys: 100, maxMembers: 100 })),
    passwords: { verify: (h, p) => verifyPassword(h, Buffer.from(p)), dummyVerify: (p) => dummyVerify(Buffer.from(p), CHEAP) },
    keyring: opts.keyring ?? null,
    log: createLogger('info', sink),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const port = (await server.listen('127.0.0.1', 0)).port;
  const http = consoleClient(() => port);
  return {
    t,
    server,
    logs,
    logText: () => text,
    http,
    async session(name = 'root') {
      const r = await http('POST', '/gw/login', { ...FORM, Cookie: 'postern_admin_check=1' }, new URLSearchParams({ name, password: TEST_PASSWORD }).toString());
      assert.equal(r.status, 303, r.body);
      const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []).find((c) => c.startsWith('postern_admin='));
      const cookie = (set ?? assert.fail('no session cookie')).split(';')[0] as string;
      const me = JSON.parse((await http('GET', '/gw/api/v1/session', { Cookie: cookie })).body) as { csrfToken: string };
      return { cookie, csrf: me.csrfToken };
    },
    post(s, path, fields = {}, o = {}) {
      const csrf = o.csrf === undefined ? s.csrf : o.csrf;
      const body = new URLSearchParams({ ...(csrf === null ? {} : { csrf }), ...fields }).toString();
      return http('POST', `/gw${path}`, { ...FORM, Cookie: s.cookie }, body);
    },
    api(method, path, who, body, o = {}) {
      const headers: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/json' };
      if ('token' in who) headers.Authorization = `Bearer ${who.token}`;
      else {
        headers.Cookie = who.cookie;
        headers.Origin = ORIGIN;
        const csrf = o.csrf === undefined ? who.csrf : o.csrf;
        if (csrf !== null) headers['X-CSRF-Token'] = csrf;
      }
      return http(method, `/gw/api/v1${path}`, headers, body === undefined ? undefined : JSON.stringify(body));
    },
    async close() {
      await server.close();
      await t.cleanup();
    },
  };
}

/** The error code of an API problem answer. */
export const codeOf = (r: Res): string => (JSON.parse(r.body) as { error: { code: string } }).error.code;

/** The `data-code` of an error box on a page. */
export const pageCode = (r: Res): string | undefined => /role="alert" data-code="([^"]+)"/.exec(r.body)?.[1];
