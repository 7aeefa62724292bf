/**
 * Wiring the admin console from a loaded configuration and the runtime: settings, the
 * directory database as its store, in-memory login counters, the password checks. Used by
 * `serve`; the console itself (src/console) knows none of this.
 */
import type { Config } from '../config/load.js';
import { adminSettings, createLoginDefence, type AdminSettings } from '../admin/index.js';
import { createConsoleServer, type ConsoleServer } from '../console/index.js';
import { createMemoryCounters } from '../defence/memory-counters.js';
import type { Logger } from '../log/logger.js';
import { HashPoolOverloaded, hashPassword } from '../passwords/index.js';
import type { Runtime } from './runtime.js';
import { historySettings } from '../history/index.js';

export interface RunningConsole {
  settings: AdminSettings;
  address: string;
  port: number;
  close(): Promise<void>;
}

export async function startConsole(cfg: Config, rt: Runtime, log: Logger): Promise<RunningConsole> {
  const settings = adminSettings(cfg.admin);
  const server: ConsoleServer = createConsoleServer({
    settings,
    store: rt.directory,
    defence: createLoginDefence(settings.login, createMemoryCounters({ maxKeys: 50_000, maxMembers: 1000 })),
    // The auth endpoint's bounded hash pool: console logins cannot starve mail logins of it.
    // A hash Postern cannot check is a failed login; a saturated pool is an error, never "wrong".
    passwords: {
      verify: (stored, pw) =>
        rt.passwords.verify(stored, Buffer.from(pw, 'utf8')).catch((err: unknown) => {
          if (err instanceof HashPoolOverloaded) throw err;
          return false;
        }),
      dummyVerify: (pw) => rt.passwords.dummyVerify(Buffer.from(pw, 'utf8')),
      // New mailbox passwords from the console: argon2id with the configured parameters, as the CLI hashes them.
      hash: (pw) => hashPassword(pw, rt.argon2),
    },
    keyring: cfg.keyring,
    history: historySettings(cfg),
    log,
  });
  let addr;
  try {
    addr = await server.listen(cfg.admin.host, cfg.admin.port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(`the admin console cannot listen on ${cfg.admin.host}:${cfg.admin.port} (${code}): choose another admin.port, or set admin.enabled = false`);
  }
  return { settings, address: addr.address, port: addr.port, close: () => server.close() };
}
