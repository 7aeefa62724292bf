/**
 * The `postern` command tree. Each sub-command loads the configuration itself, so `--help` and
 * `init` work before any configuration exists.
 */
import { existsSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError, configPath, loadConfig, type Config } from '../config/load.js';
import { InitRefused, initConfig, nginxMailBlock } from '../config/init.js';
import { DirectoryError } from '../directory/types.js';
import { hashPassword } from '../passwords/index.js';
import { openDirectory } from '../store/index.js';
import { argon2Params } from '../app/runtime.js';
import { adminSettings } from '../admin/index.js';
import { registerAppPasswordCommands } from './app-password-commands.js';
import { registerBansCommands } from './bans-commands.js';
import { registerDirectoryCommands, type WithDirectory } from './directory-commands.js';
import { registerImport } from './import-command.js';
import { registerKeysCommands } from './keys-commands.js';
import { readPassword, readStdin } from './prompt.js';
import { registerAdminCommands } from './admin-commands.js';
import { registerSecretsCommands } from './secrets-commands.js';
import { registerServe } from './serve-command.js';
import { registerTestLogin } from './test-login.js';

const out = (line: string): void => {
  process.stdout.write(line + '\n');
};

export function buildProgram(): Command {
  const program = new Command('postern')
    .description('Postern: the authenticated front door for IMAP, POP3 and SMTP behind nginx (auth_http)')
    .option('-c, --config <file>', 'configuration file (env POSTERN_CONFIG)', undefined)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Getting started:
  postern init                 write postern.toml with a fresh shared secret, print the nginx block
  postern domain add example.com
  postern backend add dovecot1 --host 127.0.0.1 --imap-port 143 --pop3-port 110 --smtp-port 25
  postern route set --default --backend dovecot1
  postern mailbox add alice@example.com
  postern admin add alice      an administrator for the console ([admin] public_url)
  postern serve`,
    );

  const file = (): string => configPath(program.opts<{ config?: string }>().config);
  const loadCfg = (): Config => loadConfig(file());
  const withDirectory: WithDirectory = async (fn) => {
    const cfg = loadCfg();
    const dir = await openDirectory({ kind: cfg.database.kind, path: cfg.database.path });
    try {
      return await fn(dir);
    } finally {
      await dir.close();
    }
  };

  program
    .command('init')
    .description('create a configuration with secure defaults and a fresh shared secret, and print the nginx mail {} block')
    .option('--port <port>', 'port for the auth_http endpoint', (v) => Number(v), 8880)
    .option('--admin-port <port>', 'port for the admin console (default: the auth port + 1)', (v) => Number(v))
    .action((opts: { port: number; adminPort?: number }) => {
      const res = initConfig(file(), { port: opts.port, ...(opts.adminPort !== undefined ? { adminPort: opts.adminPort } : {}) });
      out(`created ${res.configFile}`);
      out(`created ${res.secretFile} (the shared secret nginx must send; mode 0600)`);
      out(`created ${res.keyFile} (vault key k1 for APOP/CRAM-MD5 credentials and backend master passwords; mode 0600: back it up apart from the database)`);
      out(`data folder ${res.dataDir}`);
      out('');
      out('Add this to nginx.conf:');
      out('');
      out(nginxMailBlock(loadCfg(), { showSecret: true }));
    });

  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('validate the configuration file and the secret, open the database, and report problems')
    .action(async () => {
      const cfg = loadCfg();
      const dir = await openDirectory({ kind: cfg.database.kind, path: cfg.database.path });
      try {
        const [domains, backends, routes] = await Promise.all([dir.listDomains(), dir.listBackends(), dir.listRoutes()]);
        out(`configuration ${cfg.file} is valid`);
        out(`  auth endpoint  http://${cfg.listen.host}:${cfg.listen.port}${cfg.listen.path}`);
        out(`  shared secret  header ${cfg.auth.secret_header}, ${cfg.secret.length} bytes`);
        out(`  nginx peers    ${cfg.auth.allowed_networks.join(', ')}`);
        out(`  admin console  ${cfg.admin.enabled ? `${adminSettings(cfg.admin).publicUrl.href} (listening on ${cfg.admin.host}:${cfg.admin.port}${cfg.admin.path})` : 'off (admin.enabled = false)'}`);
        out(`  database       ${cfg.database.kind} ${cfg.database.path}`);
        out(`  vault          ${cfg.keyring ? cfg.keyring.keys.map((k) => `${k.id} (${k.state})`).join(', ') : 'off (no [vault] keys: APOP and CRAM-MD5 are refused)'}`);
        out(`  directory      ${domains.length} domains, ${backends.length} backends, ${routes.length} routes`);
        if (!routes.some((r) => r.kind === 'default') && domains.length > 0) {
          out('  note: there is no default route; mailboxes without a mailbox or domain route get a temporary failure');
        }
      } finally {
        await dir.close();
      }
    });

  program
    .command('nginx-config')
    .description('print the nginx mail {} block matching this configuration')
    .option('--show-secret', 'include the shared secret itself (otherwise a placeholder)')
    .action((opts: { showSecret?: boolean }) => out(nginxMailBlock(loadCfg(), { showSecret: !!opts.showSecret })));

  registerServe(program, { configFile: file, out });
  registerTestLogin(program, loadCfg, out);
  registerDirectoryCommands(program, {
    withDirectory,
    hashPassword: async (pw) => hashPassword(pw, argon2Params(loadCfg())),
    readPassword,
    out,
    keyring: () => loadCfg().keyring,
  });
  registerImport(program, { withDirectory, out });
  registerBansCommands(program, { withDirectory, out });
  registerAppPasswordCommands(program, { withStore: withDirectory, out });
  registerKeysCommands(program, {
    withDirectory,
    out,
    keyring: () => loadCfg().keyring,
    vaultKeys: () => {
      const cfg = loadCfg();
      return { configFile: cfg.file, keys: cfg.vault.keys };
    },
  });
  registerSecretsCommands(program, { withDirectory, out, keyring: () => loadCfg().keyring });
  registerAdminCommands(program, {
    withAdmins: (fn) => withDirectory((d) => fn(d)),
    hashPassword: async (pw) => hashPassword(pw, argon2Params(loadCfg())),
    readPassword,
    readStdin,
    out,
  });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`error: ${err.message}\n`);
      if (!existsSync(err.file)) process.stderr.write('hint: run "postern init" to create a configuration\n');
    } else if (err instanceof DirectoryError || err instanceof InitRefused) {
      process.stderr.write(`error: ${err.message}\n`);
    } else {
      process.stderr.write(`error: ${(err as Error).message ?? String(err)}\n`);
    }
    process.exitCode = 1;
  }
}
