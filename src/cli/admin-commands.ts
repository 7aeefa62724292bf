/**
 * `postern admin ...`: console administrators and their API tokens. Passwords are asked twice
 * on the terminal (or read from standard input with --password-stdin) and stored as argon2id;
 * `admin passwd` and `admin 2fa reset` end every console session of that admin; `admin
 * require-2fa` makes two-factor authentication compulsory for one. An API token is printed once, alone
 * on standard output (so a script can capture it); Postern keeps only its SHA-256.
 */
import type { Command } from 'commander';
import { newApiToken } from '../admin/index.js';
import type { AdminStore } from '../admin/index.js';
import { actionRunner, examples, UsageError } from './action.js';
import { dash, formatTable } from './format.js';
import { readTypedTwice } from './secret-input.js';

export const MIN_ADMIN_PASSWORD = 10;

export interface AdminCommandDeps {
  withAdmins: <T>(fn: (store: AdminStore) => Promise<T>) => Promise<T>;
  hashPassword: (pw: string) => Promise<string>;
  readPassword: (prompt: string) => Promise<string>;
  readStdin: () => Promise<string>;
  out: (line: string) => void;
  /** Notes that must not mix with captured output (after a token); default stderr. */
  note?: (line: string) => void;
}

export function registerAdminCommands(program: Command, deps: AdminCommandDeps): void {
  const { withAdmins, out } = deps;
  const note = deps.note ?? ((line: string) => void process.stderr.write(line + '\n'));
  const run = actionRunner('postern.admin');

  async function newPassword(stdin: boolean): Promise<string> {
    const pw = await readTypedTwice(deps, { stdin, flag: '--password-stdin', label: 'Password', plural: 'the passwords' });
    if ([...pw].length < MIN_ADMIN_PASSWORD) throw new UsageError(`an admin password must be at least ${MIN_ADMIN_PASSWORD} characters; nothing was changed`);
    return deps.hashPassword(pw);
  }

  const admin = program
    .command('admin')
    .description('Manage console administrators and their API tokens (the console listens on [admin] host:port)');
  admin
    .command('add <name>')
    .description('Add an administrator who can sign in to the console (asks for the password twice)')
    .option('--password-stdin', 'read the password from standard input (one line)')
    .addHelpText('after', examples('admin add alice', 'echo "$PW" | postern admin add alice --password-stdin'))
    .action(
      run(async (c, a) => {
        const hash = await newPassword(!!c.opts().passwordStdin);
        const added = await withAdmins((s) => s.addAdmin(a[0] ?? '', hash));
        out(`added admin ${added.name}`);
      }),
    );
  admin
    .command('list')
    .description('List administrators')
    .option('--json', 'print JSON (password hashes are never included)')
    .addHelpText('after', examples('admin list', 'admin list --json'))
    .action(
      run(async (c) => {
        const rows = await withAdmins((s) => s.listAdmins());
        if (c.opts().json) return out(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return out('no admins yet: add one with "postern admin add <name>"');
        const twoFactor = (r: (typeof rows)[number]) => `${r.twoFactor}${r.twoFactorRequired ? ' (required)' : ''}`;
        for (const l of formatTable(['NAME', 'CREATED', 'PASSWORD CHANGED', '2FA'], rows.map((r) => [r.name, r.createdAt, r.updatedAt, twoFactor(r)]))) out(l);
      }),
    );
  admin
    .command('passwd <name>')
    .description("Change an administrator's password; every console session of that admin ends")
    .option('--password-stdin', 'read the new password from standard input (one line)')
    .addHelpText('after', examples('admin passwd alice', 'echo "$PW" | postern admin passwd alice --password-stdin'))
    .action(
      run(async (c, a) => {
        const hash = await newPassword(!!c.opts().passwordStdin);
        const r = await withAdmins((s) => s.setAdminPassword(a[0] ?? '', hash));
        out(`changed the password of admin ${r.admin.name}; ended ${r.revokedSessions} console ${r.revokedSessions === 1 ? 'session' : 'sessions'}`);
      }),
    );
  admin
    .command('remove <name>')
    .description('Remove an administrator with their sessions and API tokens')
    .addHelpText('after', examples('admin remove alice'))
    .action(
      run(async (_c, a) => {
        await withAdmins((s) => s.removeAdmin(a[0] ?? ''));
        out(`removed admin ${(a[0] ?? '').trim().toLowerCase()}`);
      }),
    );

  admin
    .command('require-2fa <name>')
    .description('Require two-factor authentication of an administrator (without it, their password login reaches only the enrolment page)')
    .option('--off', 'no longer require it (2FA they set up stays on)')
    .addHelpText('after', examples('admin require-2fa alice', 'admin require-2fa alice --off'))
    .action(
      run(async (c, a) => {
        const off = !!c.opts().off;
        const r = await withAdmins((s) => s.setTotpRequired(a[0] ?? '', !off));
        if (off) return out(`admin ${r.name} no longer needs two-factor authentication (2FA is ${r.twoFactor})`);
        out(`admin ${r.name} now needs two-factor authentication` + (r.twoFactor === 'on' ? ' (already set up)' : ': their next console login goes to the enrolment page'));
      }),
    );
  admin
    .command('2fa')
    .description('Two-factor authentication of an administrator')
    .command('reset <name>')
    .description('For a lost phone: clear the TOTP secret and the recovery codes and end every console session of the admin')
    .addHelpText('after', `
The admin then signs in with the password alone (or, when "postern admin require-2fa" applies,
reaches only the enrolment page) and sets up a new authenticator.
${examples('admin 2fa reset alice')}`)
    .action(
      run(async (_c, a) => {
        const r = await withAdmins((s) => s.resetTotp(a[0] ?? ''));
        const ended = `ended ${r.revokedSessions} console ${r.revokedSessions === 1 ? 'session' : 'sessions'}`;
        if (!r.hadTotp) return out(`admin ${r.admin.name} had no two-factor authentication; ${ended}`);
        out(`reset the two-factor authentication of admin ${r.admin.name} (TOTP secret and recovery codes cleared); ${ended}`);
      }),
    );

  const token = admin.command('token').description('API tokens for scripts: Authorization: Bearer <token>, with the rights of their admin');
  token
    .command('create <admin>')
    .description('Create an API token for <admin> and print it once (only its hash is kept)')
    .requiredOption('--label <text>', 'what uses the token, shown in listings (e.g. "backup script")')
    .addHelpText(
      'after',
      examples('admin token create alice --label "monitoring"', 'TOKEN=$(postern admin token create alice --label ci)', 'curl -H "Authorization: Bearer $TOKEN" https://admin.example.com/api/v1/mailboxes'),
    )
    .action(
      run(async (c, a) => {
        const { token: value, tokenHash } = newApiToken();
        const t = await withAdmins((s) => s.createApiToken(a[0] ?? '', c.opts<{ label: string }>().label, tokenHash));
        out(value);
        note(`created API token ${t.id} for admin ${t.adminName} (label ${JSON.stringify(t.label)}); store it now: Postern cannot show it again`);
      }),
    );
  token
    .command('list')
    .description('List API tokens (never the tokens themselves)')
    .option('--admin <name>', 'only the tokens of this admin')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('admin token list', 'admin token list --admin alice --json'))
    .action(
      run(async (c) => {
        const o = c.opts<{ admin?: string; json?: boolean }>();
        const rows = await withAdmins((s) => s.listApiTokens(o.admin));
        if (o.json) return out(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return out('no API tokens');
        for (const l of formatTable(['ID', 'ADMIN', 'LABEL', 'CREATED', 'LAST USED', 'STATE'], rows.map((t) => [String(t.id), t.adminName, t.label, t.createdAt, dash(t.lastUsedAt), t.revoked ? 'revoked' : 'active'])))
          out(l);
      }),
    );
  token
    .command('revoke <id>')
    .description('Revoke an API token: requests with it are refused at once')
    .addHelpText('after', examples('admin token revoke 3'))
    .action(
      run(async (_c, a) => {
        const id = Number(a[0]);
        if (!Number.isInteger(id) || id < 1) throw new UsageError(`"${a[0]}" is not a token id: give the number "postern admin token list" shows`);
        const t = await withAdmins((s) => s.revokeApiToken(id));
        out(`revoked API token ${t.id} of admin ${t.adminName} (label ${JSON.stringify(t.label)})`);
      }),
    );
}
