/** `postern admin ...` driven through commander against a real SQLite directory. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { hashApiToken, newRecoveryCodes, newSession } from '../admin/index.js';
import { totpSecretBinding } from '../directory/types.js';
import { encrypt } from '../vault/index.js';
import { testKeyring } from '../vault/test-support.js';
import { hashPassword, verifyPassword } from '../passwords/index.js';
import { openDirectory } from '../store/index.js';
import { tempFolder } from '../store/test-support.js';
import { registerAdminCommands } from './admin-commands.js';
import { expectFailure, expectOk, runCli, type CliResult } from './test-support.js';

describe('admin commands', () => {
  let tmp: ReturnType<typeof tempFolder>;
  let file: string;
  let stdin: string;
  let prompts: string[];
  let notes: string[];

  const withAdmins = async <T>(fn: (s: Awaited<ReturnType<typeof openDirectory>>) => Promise<T>): Promise<T> => {
    const d = await openDirectory({ kind: 'sqlite', path: file });
    try {
      return await fn(d);
    } finally {
      await d.close();
    }
  };
  const cli = (...args: string[]): Promise<CliResult> =>
    runCli(
      (program, out) =>
        registerAdminCommands(program, {
          withAdmins,
          hashPassword: (pw) => hashPassword(pw, { memoryKiB: 1024, iterations: 1, parallelism: 1 }),
          readPassword: async () => prompts.shift() ?? '',
          readStdin: async () => stdin,
          out,
          note: (l) => notes.push(l),
        }),
      args,
    );
  const ok = async (...args: string[]) => expectOk(await cli(...args), args);
  const fails = async (args: string[], pattern: RegExp) => expectFailure(await cli(...args), args, pattern);

  beforeEach(() => {
    tmp = tempFolder();
    file = path.join(tmp.folder, 'directory.db');
    stdin = '';
    prompts = [];
    notes = [];
  });
  afterEach(() => tmp.remove());

  it('adds admins (asked twice or from stdin), lists them without hashes, and refuses weak or mismatched passwords', async () => {
    prompts = ['a long password', 'a long password'];
    assert.equal(await ok('admin', 'add', 'Root'), 'added admin root\n');
    stdin = 'another long one\n';
    assert.equal(await ok('admin', 'add', 'alice', '--password-stdin'), 'added admin alice\n');
    const hash = (await withAdmins((d) => d.getAdmin('alice')))!.passwordHash;
    assert.ok(await verifyPassword(hash, Buffer.from('another long one')), 'the trailing newline is not part of the password');
    assert.match(await ok('admin', 'list'), /^NAME +CREATED +PASSWORD CHANGED +2FA\nalice .* off\nroot .* off\n/);
    assert.ok(!(await ok('admin', 'list', '--json')).includes('ARGON2'));
    prompts = ['a long password', 'a different one'];
    await fails(['admin', 'add', 'bob'], /the passwords do not match; nothing was changed/);
    stdin = 'short';
    await fails(['admin', 'add', 'bob', '--password-stdin'], /at least 10 characters/);
    stdin = 'a long password';
    await fails(['admin', 'add', 'bad name', '--password-stdin'], /not a valid admin name/);
    await fails(['admin', 'add', 'root', '--password-stdin'], /admin "root" already exists/);
  });

  it('passwd ends the admin\'s sessions and says how many; remove removes', async () => {
    stdin = 'a long password';
    await ok('admin', 'add', 'root', '--password-stdin');
    stdin = 'a newer password';
    assert.equal(await ok('admin', 'passwd', 'root', '--password-stdin'), 'changed the password of admin root; ended 0 console sessions\n');
    await fails(['admin', 'passwd', 'ghost', '--password-stdin'], /admin "ghost" does not exist/);
    assert.equal(await ok('admin', 'remove', 'root'), 'removed admin root\n');
    assert.equal(await ok('admin', 'list'), 'no admins yet: add one with "postern admin add <name>"\n');
  });

  it('token create prints the token once, alone; only its hash is stored; list and revoke', async () => {
    stdin = 'a long password';
    await ok('admin', 'add', 'root', '--password-stdin');
    const out = await ok('admin', 'token', 'create', 'root', '--label', 'backup script');
    assert.match(out, /^postern_[A-Za-z0-9_-]{43}\n$/);
    assert.match(notes.join('\n'), /created API token 1 for admin root \(label "backup script"\); store it now/);
    const token = out.trim();
    assert.equal((await withAdmins((d) => d.findApiToken(hashApiToken(token)!)))?.label, 'backup script');
    const list = await ok('admin', 'token', 'list');
    assert.match(list, /^ID +ADMIN +LABEL +CREATED +LAST USED +STATE\n1 +root +backup script .* - +active\n$/);
    assert.ok(!list.includes(token));
    assert.equal(await ok('admin', 'token', 'revoke', '1'), 'revoked API token 1 of admin root (label "backup script")\n');
    assert.match(await ok('admin', 'token', 'list', '--admin', 'root'), /revoked\n$/);
    await fails(['admin', 'token', 'revoke', 'x'], /"x" is not a token id/);
    await fails(['admin', 'token', 'create', 'ghost', '--label', 'x'], /admin "ghost" does not exist/);
    const help = await cli('admin', 'token', 'create', '--help');
    assert.match(help.out, /Examples:\n  \$ postern admin token create alice --label "monitoring"/);
  });

  it('require-2fa sets and lifts the requirement; 2fa reset clears TOTP and recovery codes and ends every session', async () => {
    stdin = 'a long password';
    await ok('admin', 'add', 'root', '--password-stdin');
    assert.equal(await ok('admin', 'require-2fa', 'Root'), 'admin root now needs two-factor authentication: their next console login goes to the enrolment page\n');
    assert.match(await ok('admin', 'list'), /\nroot .* off \(required\)\n$/);
    await fails(['admin', 'require-2fa', 'ghost'], /admin "ghost" does not exist/);

    // 2FA on, as the console leaves it (the seed as a vault ciphertext), with two live sessions.
    const ring = testKeyring([['k1', 'active']]);
    await withAdmins(async (d) => {
      const id = (await d.getAdmin('root'))!.id;
      const seed = encrypt(ring, 'totp', Buffer.alloc(20, 1), totpSecretBinding(id));
      await d.beginTotp(id, seed);
      await d.enableTotp(id, seed, 5, newRecoveryCodes().hashes, null);
      for (let i = 0; i < 2; i++) await d.createSession(newSession({ adminId: id, clientIp: '127.0.0.1', userAgent: 'ua', now: new Date(), policy: { idleMs: 60_000, maxMs: 3_600_000, binding: 'off' } }).record);
    });
    assert.match(await ok('admin', 'list'), /\nroot .* on \(required\)\n$/);
    assert.equal(await ok('admin', 'require-2fa', 'root', '--off'), 'admin root no longer needs two-factor authentication (2FA is on)\n');
    assert.equal(await ok('admin', '2fa', 'reset', 'root'), 'reset the two-factor authentication of admin root (TOTP secret and recovery codes cleared); ended 2 console sessions\n');
    const after = await withAdmins(async (d) => d.getTotp((await d.getAdmin('root'))!.id));
    assert.deepEqual([after.secret, after.enabledAt, after.lastStep, after.recoveryCodesLeft], [null, null, null, 0]);
    assert.equal(await ok('admin', '2fa', 'reset', 'root'), 'admin root had no two-factor authentication; ended 0 console sessions\n');
    await fails(['admin', '2fa', 'reset', 'ghost'], /admin "ghost" does not exist/);
  });
});
