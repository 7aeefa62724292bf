/** `postern app-password add|list|revoke` driven through commander against a real SQLite directory. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { appPasswordHash } from '../app-passwords/index.js';
import { openDirectory } from '../store/index.js';
import { tempFolder } from '../store/test-support.js';
import { registerAppPasswordCommands } from './app-password-commands.js';
import { directoryAt, expectFailure, expectOk, runCli, type CliResult } from './test-support.js';

const SHAPE = /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/;
const NOW = new Date('2030-06-01T12:00:00.000Z');

describe('app-password commands', () => {
  let tmp: ReturnType<typeof tempFolder>;
  let file: string;
  let notes: string[];
  const withStore = directoryAt(() => file);

  const cli = (...args: string[]): Promise<CliResult> =>
    runCli((program, out) => registerAppPasswordCommands(program, { withStore, out, note: (l) => notes.push(l), now: () => NOW }), args);
  const ok = async (...args: string[]) => expectOk(await cli(...args), args);
  const fails = async (args: string[], pattern: RegExp) => expectFailure(await cli(...args), args, pattern);

  beforeEach(async () => {
    tmp = tempFolder();
    file = path.join(tmp.folder, 'directory.db');
    notes = [];
    const d = await openDirectory({ kind: 'sqlite', path: file });
    try {
      await d.addDomain('example.com');
      await d.addMailbox({ address: 'alice@example.com', passwordHash: null, protocols: ['imap', 'smtp'] });
      await d.addMailbox({ address: 'bob@example.com', passwordHash: null });
    } finally {
      await d.close();
    }
  });
  afterEach(() => tmp.remove());

  it('add prints the password alone, once; the note says what it allows; only its hash is stored', async () => {
    const out = await ok('app-password', 'add', 'alice@example.com', '--label', "alice's phone", '--protocols', 'imap', '--networks', '192.0.2.0/24,2001:db8::/32', '--expires', '90d');
    const password = out.trim();
    assert.match(password, SHAPE);
    assert.equal(out, `${password}\n`, 'nothing else on standard output');
    assert.deepEqual(notes, [
      `created app password 1 for alice@example.com (label "alice's phone"; imap from 192.0.2.0/24, 2001:db8::/32; expires 2030-08-30T12:00:00.000Z); copy it now: Postern keeps only a hash and cannot show it again`,
    ]);
    const found = await withStore(async (d) => {
      const m = (await d.getMailbox('alice@example.com'))!;
      return d.findAppPassword(m.id, appPasswordHash(password)!);
    });
    assert.equal(found?.label, "alice's phone");
    const listed = await ok('app-password', 'list');
    assert.ok(!listed.includes(password), 'never listed');
    assert.match(listed, /^ID +MAILBOX +LABEL +PROTOCOLS +NETWORKS +CREATED +EXPIRES +LAST USED +STATE\n1 +alice@example\.com +alice's phone +imap +192\.0\.2\.0\/24,2001:db8::\/32 +\S+ +2030-08-30T12:00:00\.000Z +- +active\n$/);
  });

  it("add defaults to the mailbox's protocols, anywhere, never; --json gives the password and the record", async () => {
    const json = JSON.parse(await ok('app-password', 'add', 'alice@example.com', '--label', 'laptop', '--json')) as { password: string; appPassword: Record<string, unknown> };
    assert.match(json.password, SHAPE);
    assert.equal(json.appPassword.mailbox, 'alice@example.com');
    assert.deepEqual(json.appPassword.protocols, ['imap', 'smtp']);
    assert.deepEqual(json.appPassword.networks, []);
    assert.equal(json.appPassword.expiresAt, null);
    assert.equal(json.appPassword.state, 'active');
    assert.deepEqual(notes, []);
  });

  it('add refuses what cannot work, saying what to do, and creates nothing', async () => {
    await fails(['app-password', 'add', 'alice@example.com'], /required option '--label <text>' not specified/);
    await fails(['app-password', 'add', 'alice@example.com', '--label', 'x', '--protocols', 'pop3'], /may not use pop3 \(it allows imap, smtp\)/);
    await fails(['app-password', 'add', 'alice@example.com', '--label', 'x', '--expires', 'soon'], /give a date such as 2027-01-01, a number of days such as 90d, or never/);
    await fails(['app-password', 'add', 'alice@example.com', '--label', 'x', '--expires', '2020-01-01'], /not in the future/);
    await fails(['app-password', 'add', 'alice@example.com', '--label', 'x', '--networks', 'banana'], /not an IP address or CIDR/);
    await fails(['app-password', 'add', 'nobody@example.com', '--label', 'x'], /mailbox "nobody@example\.com" does not exist/);
    assert.match(await ok('app-password', 'list'), /^no app passwords: create one with "postern app-password add <mailbox> --label \.\.\."\n$/);
  });

  it('list filters by mailbox and gives JSON; revoke revokes once, then says so', async () => {
    await ok('app-password', 'add', 'alice@example.com', '--label', 'phone');
    await ok('app-password', 'add', 'bob@example.com', '--label', 'scanner', '--protocols', 'smtp');
    const bob = JSON.parse(await ok('app-password', 'list', 'bob@example.com', '--json')) as Array<{ id: number; label: string; state: string }>;
    assert.deepEqual(bob.map((r) => [r.id, r.label, r.state]), [[2, 'scanner', 'active']]);
    assert.equal(await ok('app-password', 'revoke', '2'), 'revoked app password 2 of bob@example.com (label "scanner")\n');
    assert.match(await ok('app-password', 'revoke', '2'), /^app password 2 of bob@example\.com \(label "scanner"\) was already revoked at \d{4}-/);
    assert.match(await ok('app-password', 'list', 'bob@example.com'), /\n2 +bob@example\.com +scanner +smtp +any +\S+ +never +- +revoked\n$/);
    await fails(['app-password', 'revoke', 'two'], /"two" is not an app password id: give the number "postern app-password list" shows/);
    await fails(['app-password', 'revoke', '9'], /there is no app password 9/);
    assert.match(await ok('app-password', 'list', 'alice@example.com'), /phone +imap,smtp +any/);
  });

  it('--help explains the shape, the storage and what the backend needs', async () => {
    const r = await cli('app-password', 'add', '--help');
    assert.match(r.out, /four groups of four characters/);
    assert.match(r.out, /keeps only a hash/);
    assert.match(r.out, /postern backend master set/);
  });
});
