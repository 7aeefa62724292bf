/**
 * `postern app-password add|list|revoke`: app passwords of mailboxes (src/app-passwords/). A new
 * app password is printed once, alone on standard output (so a script can capture it), with what
 * it allows on standard error; Postern keeps only its SHA-256 and can never show it again.
 */
import type { Command } from 'commander';
import { createAppPassword, describeScope, listAppPasswords, revokeAppPassword, type AppPasswordAdmin } from '../app-passwords/index.js';
import { actionRunner, examples, UsageError } from './action.js';
import { dash, formatTable } from './format.js';

export interface AppPasswordCommandDeps {
  withStore: <T>(fn: (store: AppPasswordAdmin) => Promise<T>) => Promise<T>;
  out: (line: string) => void;
  /** What must not mix with the captured password; default standard error. */
  note?: (line: string) => void;
  now?: () => Date;
}

const list = (value: string): string[] => value.split(',').map((v) => v.trim()).filter((v) => v !== '');

const ADD_HELP = `
Postern generates the password: four groups of four characters such as k7pq-3vzm-a0hx-t9wd
(80 random bits; case, dashes and spaces do not matter when it is typed). It is printed once;
Postern keeps only a hash of it. The mail client uses it instead of the mailbox's password:
only with the protocols (default: all the mailbox's) and from the networks (default: anywhere)
given here, until it expires or is revoked. The mailbox's own rules still apply too.

IMAP and POP3 backends are then sent this app password, which they do not know: give the backend
a master login ("postern backend master set") or a passdb that trusts Postern's answer.
${examples(
  "app-password add alice@example.com --label \"alice's phone\"",
  'app-password add alice@example.com --label laptop --protocols imap,smtp --networks 192.0.2.0/24 --expires 90d',
  'PW=$(postern app-password add bob@example.com --label scanner --protocols smtp --expires 2027-01-01)',
)}`;

export function registerAppPasswordCommands(program: Command, deps: AppPasswordCommandDeps): void {
  const { withStore, out } = deps;
  const note = deps.note ?? ((line: string) => void process.stderr.write(line + '\n'));
  const now = deps.now ?? (() => new Date());
  const run = actionRunner('postern.app-password');

  const cmd = program
    .command('app-password')
    .description("App passwords: generated passwords for one mail client, limited to protocols and networks, with an expiry; shown once, stored hashed");
  cmd
    .command('add <mailbox>')
    .description('Create an app password for <mailbox> and print it once')
    .requiredOption('--label <text>', 'what will use it, shown in listings and logged with each login (e.g. "alice\'s phone")')
    .option('--protocols <list>', "comma-separated subset of imap,pop3,smtp (default: the mailbox's protocols)", list)
    .option('--networks <list>', 'comma-separated client networks (CIDRs or addresses) it may be used from (default: anywhere)', list)
    .option('--expires <when>', 'a date (2027-01-01, 00:00 UTC), a number of days (90d), or never (default)')
    .option('--json', 'print {"password": ..., "appPassword": ...} as JSON')
    .addHelpText('after', ADD_HELP)
    .action(
      run(async (c, a) => {
        const o = c.opts<{ label: string; protocols?: string[]; networks?: string[]; expires?: string; json?: boolean }>();
        const made = await withStore((s) =>
          createAppPassword(
            s,
            { mailbox: a[0] ?? '', label: o.label, ...(o.protocols ? { protocols: o.protocols } : {}), networks: o.networks ?? [], ...(o.expires !== undefined ? { expires: o.expires } : {}) },
            now(),
          ),
        );
        if (o.json) return out(JSON.stringify(made, null, 2));
        const v = made.appPassword;
        out(made.password);
        note(
          `created app password ${v.id} for ${v.mailbox} (label ${JSON.stringify(v.label)}; ${describeScope(v)}; expires ${v.expiresAt ?? 'never'}); ` +
            'copy it now: Postern keeps only a hash and cannot show it again',
        );
      }),
    );
  cmd
    .command('list [mailbox]')
    .description('List app passwords (of one mailbox, or all), never the passwords themselves')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('app-password list', 'app-password list alice@example.com --json'))
    .action(
      run(async (c, a) => {
        const rows = await withStore((s) => listAppPasswords(s, a[0], now()));
        if (c.opts().json) return out(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return out(`no app passwords${a[0] ? ` for ${a[0]}` : ''}: create one with "postern app-password add <mailbox> --label ..."`);
        const table = formatTable(
          ['ID', 'MAILBOX', 'LABEL', 'PROTOCOLS', 'NETWORKS', 'CREATED', 'EXPIRES', 'LAST USED', 'STATE'],
          rows.map((r) => [String(r.id), r.mailbox, r.label, r.protocols.join(','), r.networks.join(',') || 'any', r.createdAt, r.expiresAt ?? 'never', dash(r.lastUsedAt), r.state]),
        );
        for (const l of table) out(l);
      }),
    );
  cmd
    .command('revoke <id>')
    .description('Revoke an app password: logins with it are refused from the next one on')
    .addHelpText('after', examples('app-password revoke 3'))
    .action(
      run(async (_c, a) => {
        const id = Number(a[0]);
        if (!/^\d+$/.test(a[0] ?? '') || !Number.isSafeInteger(id) || id < 1) throw new UsageError(`"${a[0]}" is not an app password id: give the number "postern app-password list" shows`);
        const r = await withStore((s) => revokeAppPassword(s, id, undefined, now()));
        const v = r.appPassword;
        if (r.already) return out(`app password ${v.id} of ${v.mailbox} (label ${JSON.stringify(v.label)}) was already revoked at ${v.revokedAt}`);
        out(`revoked app password ${v.id} of ${v.mailbox} (label ${JSON.stringify(v.label)})`);
      }),
    );
}
