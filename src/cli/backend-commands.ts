/**
 * `postern backend ...`: the backend mail servers logins are routed to, and their master login
 * (Dovecot master users): Postern then answers nginx with `<backend login>*<master user>` and
 * the master password for IMAP/POP3, so the backend needs neither the users' own passwords nor a
 * passdb that trusts the proxy. The master password is write-only: encrypted here with the
 * vault's active key before it reaches the store, bound to the backend's row, and shown only as
 * set (with key id and time), not set, or UNREADABLE.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { DirectoryError, type Backend, type BackendPorts, type Directory } from '../directory/types.js';
import { setMasterLogin } from '../directory/master-login.js';
import { describeSecretStatus, masterStatus } from '../directory/secret-status.js';
import { parseMasterSeparator, parseMasterUser } from '../store/validate.js';
import type { Keyring } from '../vault/index.js';
import { UsageError, examples } from './action.js';
import type { WithDirectory } from './directory-commands.js';
import { dash, formatTable } from './format.js';
import { readNewSecret, requireKeyring } from './secret-input.js';

export interface BackendCommandDeps {
  withDirectory: WithDirectory<Directory>;
  out: (line: string) => void;
  run: (fn: (cmd: Command, args: string[]) => Promise<void>) => (...all: unknown[]) => Promise<void>;
  printJsonOr: (json: boolean, value: unknown, lines: () => string[]) => void;
  readPassword: (prompt: string) => Promise<string>;
  readStdin: () => Promise<string>;
  keyring: () => Keyring | null;
}

const FIX = 'set it again with "postern backend master set" or remove it with "postern backend master clear"';

function parsePortOption(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 1 to 65535.');
  return n;
}

/** The MASTER column: who, and whether its password can be used; never the value. */
function masterCell(b: Backend, keyring: Keyring | null): string {
  if (b.masterUser === null) return '-';
  const s = masterStatus(b, keyring);
  const state = s.state === 'set' ? `key ${s.keyId}` : s.state === 'unreadable' ? `UNREADABLE, key ${s.keyId ?? '?'}` : 'NO PASSWORD';
  return `${b.masterUser} (${state})`;
}

/** A backend for --json: the master password's status instead of its ciphertext. */
function publicBackend(b: Backend, keyring: Keyring | null) {
  const { masterUser, masterSecret: _ciphertext, masterChangedAt: _changed, masterSeparator, ...rest } = b;
  return { ...rest, master: masterUser === null ? null : { user: masterUser, separator: masterSeparator, password: masterStatus(b, keyring) } };
}

const MASTER_HELP = `
With a master user, Postern answers nginx's IMAP and POP3 logins to this backend with
Auth-User "<backend login><separator><master user>" and the master password, whatever method the
client used (plain, APOP, CRAM-MD5, EXTERNAL): the backend logs the user in on the master's
authority. <backend login> is the mailbox's backend login ("postern mailbox change --backend-login")
or else its address. SMTP is not affected (nginx sends no password to SMTP backends).

On Dovecot (auth_master_user_separator = * is the usual separator):
  passdb {
    driver = passwd-file
    args = /etc/dovecot/master-users      # a line "postern:{SHA512-CRYPT}..." (doveadm pw)
    master = yes
    result_success = continue             # the user must still exist in the normal passdb
  }

The password is asked for twice (or read from standard input with --stdin), encrypted with the
vault's active key and bound to this backend; it is never shown, only "set (key k1, changed ...)".
If it cannot be decrypted (a missing key), logins to this backend get a temporary failure.
${examples(
  'backend master set dovecot1 --user postern',
  'echo "$MASTER_PW" | postern backend master set dovecot1 --user postern --stdin',
  "backend master set dovecot1 --separator '%' --user postern",
  'backend master clear dovecot1',
)}`;

export function registerBackendCommands(program: Command, deps: BackendCommandDeps): void {
  const { withDirectory, out, run, printJsonOr, keyring } = deps;
  const arg = (args: string[], i: number): string => args[i] ?? '';

  const backend = program.command('backend').description('Manage backend mail servers that logins are routed to, and their master logins');
  const portOptions = (cmd: Command, clearable: boolean) => {
    for (const p of ['imap', 'pop3', 'smtp', 'mx'] as const) {
      const what = p === 'mx' ? 'MX port (inbound mail, Auth-Method none; default: the SMTP port)' : p === 'smtp' ? 'SMTP submission port' : `${p.toUpperCase()} port`;
      cmd.option(`--${p}-port <n>`, what, parsePortOption);
      if (clearable) cmd.option(`--no-${p}-port`, `stop serving ${p.toUpperCase()} on this backend`);
    }
    return cmd;
  };
  const portsFrom = (o: Record<string, unknown>): Partial<BackendPorts> => {
    const ports: Partial<BackendPorts> = {};
    for (const p of ['imap', 'pop3', 'smtp', 'mx'] as const) {
      const v = o[`${p}Port`];
      if (typeof v === 'number') ports[p] = v;
      else if (v === false) ports[p] = null;
    }
    return ports;
  };
  portOptions(backend.command('add <name>').description('Add a backend').requiredOption('--host <host>', 'IP address or host name'), false)
    .addHelpText('after', examples('backend add dovecot1 --host 10.0.0.5 --imap-port 143 --pop3-port 110 --smtp-port 587 --mx-port 25'))
    .action(
      run(async (c, a) => {
        const o = c.opts<{ host: string }>();
        const b = await withDirectory((d) => d.addBackend({ name: arg(a, 0), host: o.host, ports: portsFrom(c.opts()) }));
        out(`added backend ${b.name}`);
      }),
    );
  backend
    .command('list')
    .description('List backends, with their master users (never their passwords)')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('backend list', 'backend list --json'))
    .action(
      run(async (c) => {
        const rows = await withDirectory((d) => d.listBackends());
        const ring = keyring();
        printJsonOr(!!c.opts().json, rows.map((b) => publicBackend(b, ring)), () =>
          rows.length === 0
            ? ['no backends yet: add one with "postern backend add <name> --host <host> --imap-port 143"']
            : formatTable(
                ['NAME', 'HOST', 'IMAP', 'POP3', 'SMTP', 'MX', 'MASTER'],
                rows.map((b) => [b.name, b.host, dash(b.ports.imap), dash(b.ports.pop3), dash(b.ports.smtp), dash(b.ports.mx), masterCell(b, ring)]),
              ),
        );
      }),
    );
  backend
    .command('show <name>')
    .description('Show one backend and its master login (never the password)')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('backend show dovecot1'))
    .action(
      run(async (c, a) => {
        const b = await withDirectory((d) => d.getBackend(arg(a, 0)));
        if (!b) throw new DirectoryError('not-found', `backend "${arg(a, 0).trim().toLowerCase()}" does not exist (see "postern backend list")`);
        const ring = keyring();
        const status = masterStatus(b, ring);
        printJsonOr(!!c.opts().json, publicBackend(b, ring), () => [
          `name:             ${b.name}`,
          `host:             ${b.host}`,
          `ports:            imap ${dash(b.ports.imap)}, pop3 ${dash(b.ports.pop3)}, smtp ${dash(b.ports.smtp)}, mx ${dash(b.ports.mx)}`,
          ...(b.masterUser === null
            ? ['master user:      none (nginx logs in to IMAP/POP3 as the user)']
            : [
                `master user:      ${b.masterUser} (IMAP/POP3 logins as "<backend login>${b.masterSeparator}${b.masterUser}")`,
                `master password:  ${b.masterSecret === null ? 'NOT SET (reset with its key): logins get a temporary failure until "postern backend master set"' : describeSecretStatus(status, FIX)}`,
              ]),
        ]);
      }),
    );
  portOptions(backend.command('change <name>').description('Change a backend').option('--host <host>', 'new IP address or host name').option('--rename <new-name>', 'new name'), true)
    .addHelpText('after', examples('backend change dovecot1 --host 10.0.0.6', 'backend change dovecot1 --imap-port 993 --no-pop3-port'))
    .action(
      run(async (c, a) => {
        const o = c.opts<{ host?: string; rename?: string }>();
        const ports = portsFrom(c.opts());
        if (o.host === undefined && o.rename === undefined && Object.keys(ports).length === 0) {
          throw new UsageError('nothing to change: give --host, --rename, --<protocol>-port or --no-<protocol>-port');
        }
        const b = await withDirectory((d) =>
          d.changeBackend(arg(a, 0), { ports, ...(o.host !== undefined ? { host: o.host } : {}), ...(o.rename !== undefined ? { name: o.rename } : {}) }),
        );
        out(`changed backend ${b.name}`);
      }),
    );
  backend
    .command('remove <name>')
    .description('Remove a backend (no route may use it)')
    .addHelpText('after', examples('backend remove dovecot1'))
    .action(run(async (_c, a) => (await withDirectory((d) => d.removeBackend(arg(a, 0))), out(`removed backend ${arg(a, 0).trim().toLowerCase()}`))));

  const master = backend.command('master').description("The backend's master login (Dovecot master user) for IMAP/POP3, its password stored encrypted in the vault");
  master
    .command('set <backend>')
    .description('Log in to this backend as "<user>*<master user>" with the master password')
    .requiredOption('--user <name>', 'the master user name, as the backend knows it')
    .option('--separator <char>', "the backend's master user separator (Dovecot's auth_master_user_separator)", '*')
    .option('--stdin', 'read the password from standard input (one line) instead of asking twice')
    .addHelpText('after', MASTER_HELP)
    .action(
      run(async (c, a) => {
        const o = c.opts<{ user: string; separator: string; stdin?: boolean }>();
        const ring = requireKeyring(keyring(), 'a master password');
        // Checked before the password is asked for (the store checks again).
        const separator = parseMasterSeparator(o.separator);
        const user = parseMasterUser(o.user, separator);
        const value = await readNewSecret(deps, { stdin: !!o.stdin, label: 'Master password', what: 'the master password' });
        try {
          // Sealed before the store sees it, bound to this backend's row; if this throws, nothing is written.
          const b = await withDirectory((d) => setMasterLogin(d, ring, arg(a, 0), { user, separator, password: value }));
          out(`set the master login of backend ${b.name}: user "${b.masterUser}", password encrypted with vault key ${ring.active.id}`);
          out(`IMAP and POP3 logins to ${b.name} now log in as "<backend login>${b.masterSeparator}${b.masterUser}" with it`);
        } finally {
          value.fill(0);
        }
      }),
    );
  master
    .command('clear <backend>')
    .description('Remove the master login: nginx logs in to IMAP/POP3 as the user again')
    .addHelpText('after', examples('backend master clear dovecot1'))
    .action(
      run(async (_c, a) => {
        const b = await withDirectory((d) => d.setBackendMaster(arg(a, 0), null));
        out(`cleared the master login of backend ${b.name}; IMAP and POP3 logins to it use the users' own credentials again`);
      }),
    );
}
