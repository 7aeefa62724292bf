/**
 * `postern serve`: runs the auth_http endpoint and, unless `admin.enabled = false`, the admin
 * console beside it, and with `mail_proxy.enabled` Postern's own mail proxy. Without a configuration file it first creates
 * one (as `postern init` would), so a fresh checkout starts on the embedded default: SQLite,
 * generated config and shared secret.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { initConfig, nginxMailBlock } from '../config/init.js';
import { createLogger } from '../log/logger.js';
import { openRuntime } from '../app/runtime.js';
import { createAuthAnswer, createAuthServer } from '../server/auth-server.js';
import { startMailProxy, type RunningMailProxy } from '../mailproxy/shell/index.js';
import { vaultStartup } from '../app/vault-check.js';
import { startConsole, type RunningConsole } from '../app/console.js';

/** The exit code of a `serve` the vault's start-up check refused (a configuration error is 1). */
export const VAULT_REFUSED_EXIT = 2;

export function registerServe(program: Command, deps: { configFile: () => string; out: (s: string) => void }): void {
  program
    .command('serve')
    .description('run the auth_http endpoint for nginx and the admin console (creates a configuration first if there is none)')
    .option('--degraded', 'start even when stored secrets need vault keys that are missing or wrong (those logins get a temporary failure; also vault.allow_degraded)')
    .action(async (opts: { degraded?: boolean }) => {
      const file = deps.configFile();
      if (!existsSync(file)) {
        const res = initConfig(file);
        process.stderr.write(`No configuration at ${file}: created one with a fresh shared secret (${res.secretFile}).\n`);
        process.stderr.write(`Point nginx at Postern with (also printed by "postern nginx-config --show-secret"):\n\n`);
        process.stderr.write(nginxMailBlock(loadConfig(file), { showSecret: false }) + '\n');
      }
      const cfg = loadConfig(file);
      const log = createLogger(cfg.log.level);
      // Signals are caught from the start, so a stop during start-up still shuts down cleanly.
      let stopRequested: (signal: string) => void = () => undefined;
      const stopSignal = new Promise<string>((resolve) => (stopRequested = resolve));
      const onSignal = (signal: string) => () => stopRequested(signal);
      process.once('SIGTERM', onSignal('SIGTERM'));
      process.once('SIGINT', onSignal('SIGINT'));
      const rt = await openRuntime(cfg, { log });
      // The vault's start-up check, before listening: never serve logins with secrets that
      // silently cannot be decrypted (README "The start-up check").
      let vault: Awaited<ReturnType<typeof vaultStartup>>;
      try {
        vault = await vaultStartup(cfg.keyring, rt.directory, { degraded: !!opts.degraded || cfg.vault.allow_degraded });
      } catch (err) {
        await rt.close();
        throw err;
      }
      if (vault.kind === 'refused') {
        process.stderr.write(`${vault.message}\n`);
        log.error({ event: 'vault-refused' }, 'the vault start-up check refused to start (see stderr)');
        await rt.close();
        log.flush();
        process.exitCode = VAULT_REFUSED_EXIT;
        return;
      }
      if (vault.kind === 'ok') {
        for (const w of vault.degraded) log.warn({ event: 'vault-degraded' }, w);
        for (const w of vault.warnings) log.warn({ event: 'vault-warning' }, w);
        if (vault.canariesWritten.length > 0) log.info({ event: 'vault-canaries-written', key_ids: vault.canariesWritten }, 'recorded vault key canaries');
      }
      const server = createAuthServer(cfg, rt, log);
      const addr = await server.listen();
      let adminConsole: RunningConsole | null = null;
      if (cfg.admin.enabled) {
        try {
          adminConsole = await startConsole(cfg, rt, log);
        } catch (err) {
          await server.close();
          await rt.close();
          log.flush();
          throw err;
        }
      }
      let mailProxy: RunningMailProxy | null = null;
      if (cfg.mail_proxy.enabled) {
        try {
          mailProxy = await startMailProxy(cfg, { log, answer: createAuthAnswer(cfg, rt, log) });
        } catch (err) {
          await Promise.all([server.close(), adminConsole?.close()]);
          await rt.close();
          log.flush();
          throw err;
        }
        for (const l of mailProxy.listening) {
          log.info({ event: 'mail-proxy-listening', protocol: l.protocol, tls: l.tls, address: l.address, port: l.port }, `the mail proxy serves ${l.protocol} on ${l.address}:${l.port}`);
        }
      }
      // Bans that ended a month ago are history nobody needs.
      await rt.directory.pruneBans(30 * 86400);
      const [domains, routes] = await Promise.all([rt.directory.listDomains(), rt.directory.listRoutes()]);
      log.info(
        { event: 'listening', address: addr.address, port: addr.port, path: cfg.listen.path, config: cfg.file, database: cfg.database.path },
        'postern is answering nginx auth_http requests',
      );
      if (adminConsole) {
        const s = adminConsole.settings;
        log.info(
          { event: 'admin-listening', address: adminConsole.address, port: adminConsole.port, mount: s.mountPath, public_url: s.publicUrl.href },
          `the admin console is at ${s.publicUrl.href}`,
        );
        if (s.trustWarning) log.warn({ event: 'trust-everything' }, `admin.trusted_proxies: ${s.trustWarning}`);
        if (!s.publicUrlConfigured && cfg.admin.host !== '127.0.0.1' && cfg.admin.host !== '::1' && cfg.admin.host !== 'localhost') {
          log.warn({ event: 'admin-public-url-unset' }, `admin.public_url is not set: links and cookies use ${s.publicUrl.href}; set it to the address browsers use`);
        }
        if ((await rt.directory.listAdmins()).length === 0) log.warn({ event: 'no-admins' }, 'no console administrator yet: add one with "postern admin add <name>"');
        // Sessions that ended a day ago are history nobody needs.
        await rt.directory.pruneSessions(new Date(Date.now() - 86_400_000).toISOString());
      }
      if (domains.length === 0) log.warn({ event: 'empty-directory' }, 'the directory is empty: add a domain, a backend, a route and mailboxes (see "postern --help")');
      else if (routes.length === 0) log.warn({ event: 'no-routes' }, 'no routes: every login will get a temporary failure until you add one ("postern route set")');
      const signal = await stopSignal;
      log.info({ event: 'stopping', signal }, 'stopping: finishing requests in flight');
      try {
        await Promise.all([server.close(), adminConsole?.close(), mailProxy?.close()]);
      } finally {
        await rt.close();
        log.flush();
      }
    });
}
