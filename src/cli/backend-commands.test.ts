/**
 * `postern backend master set|clear`, the backend listings and `mailbox change --backend-login`
 * through commander against a real SQLite directory and test keyrings: the master password is
 * write-only (never printed, nor its ciphertext) and stored encrypted, bound to its backend.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { masterSecretBinding, type Directory } from '../directory/types.js';
import { tempFolder } from '../store/test-support.js';
import { decrypt, type Keyring } from '../vault/index.js';
import { keySpellings, testKeyring, type TestKeys } from '../vault/test-support.js';
import { registerDirectoryCommands } from './directory-commands.js';
import { directoryAt, expectFailure, expectOk, runCli, type CliResult } from './test-support.js';

const MASTER = 'Master pw 1';

describe('backend master logins and backend logins', () => {
  let tmp: ReturnType<typeof tempFolder>;
  let file: string;
  let prompts: string[];
  let stdin: string;
  let keys: TestKeys;
  let keyring: Keyring | null;
  const withDirectory = directoryAt(() => file);
  const peek = <T>(fn: (d: Directory) => Promise<T>) => withDirectory(fn);

  async function cli(...args: string[]): Promise<CliResult> {
    const r = await runCli(
      (program, out) =>
        registerDirectoryCommands(program, {
          withDirectory,
          hashPassword: async (pw) => `{PLAIN}${pw}`,
          readPassword: async () => prompts.shift() ?? '',
          out,
          readStdin: async () => stdin,
          keyring: () => keyring,
        }),
      args,
    );
    const ciphertexts = (await peek((d) => d.listBackends())).map((b) => b.masterSecret).filter((c): c is string => c !== null);
    for (const text of [r.out, r.err]) {
      assert.ok(!text.includes(MASTER), 'the master password is never printed');
      for (const c of ciphertexts) assert.ok(!text.includes(c), 'nor its ciphertext');
      for (const k of keySpellings(keys)) assert.ok(!text.includes(k), 'nor key material');
    }
    return r;
  }
  const ok = async (...args: string[]): Promise<string> => expectOk(await cli(...args), args);
  const fails = async (args: string[], pattern: RegExp): Promise<void> => expectFailure(await cli(...args), args, pattern);

  beforeEach(async () => {
    tmp = tempFolder();
    file = path.join(tmp.folder, 'directory.db');
    prompts = [];
    stdin = '';
    keys = new Map();
    keyring = testKeyring([['k1', 'active']], keys);
    await ok('domain', 'add', 'example.com');
    await ok('backend', 'add', 'dovecot1', '--host', '10.0.0.5', '--imap-port', '143', '--pop3-port', '110');
    await ok('backend', 'add', 'dovecot2', '--host', '10.0.0.6', '--imap-port', '143');
    await ok('route', 'set', '--default', '--backend', 'dovecot1');
    await ok('mailbox', 'add', 'alice@example.com', '--password-hash', '{PLAIN}x');
  });
  afterEach(() => tmp.remove());

  it('sets a master login from a twice-asked password, encrypted and bound to the backend, and shows only its state', async () => {
    assert.match(await ok('backend', 'show', 'dovecot1'), /^master user: +none \(nginx logs in to IMAP\/POP3 as the user\)$/m);
    prompts = [MASTER, MASTER];
    const set = await ok('backend', 'master', 'set', 'dovecot1', '--user', 'postern');
    assert.equal(set, 'set the master login of backend dovecot1: user "postern", password encrypted with vault key k1\nIMAP and POP3 logins to dovecot1 now log in as "<backend login>*postern" with it\n');
    const b = (await peek((d) => d.getBackend('dovecot1')))!;
    assert.match(b.masterSecret ?? '', /^pv1\.k1\./);
    const opened = decrypt(keyring!, 'credentials', b.masterSecret!, masterSecretBinding(b.id));
    assert.ok(opened.ok && opened.plaintext.toString() === MASTER, 'stored under the backend binding, purpose credentials');

    const show = await ok('backend', 'show', 'dovecot1');
    assert.match(show, /^master user: +postern \(IMAP\/POP3 logins as "<backend login>\*postern"\)$/m);
    assert.match(show, new RegExp(`^master password: +set \\(key k1, changed ${b.masterChangedAt}\\)$`, 'm'));
    assert.match(await ok('backend', 'list'), /^NAME\s+HOST\s+IMAP\s+POP3\s+SMTP\s+MX\s+MASTER\ndovecot1\s+10\.0\.0\.5\s+143\s+110\s+-\s+-\s+postern \(key k1\)\ndovecot2\s+10\.0\.0\.6\s+143\s+-\s+-\s+-\s+-\n$/);
    const json = JSON.parse(await ok('backend', 'list', '--json')) as Array<Record<string, unknown>>;
    assert.deepEqual(json[0]?.master, { user: 'postern', separator: '*', password: { state: 'set', keyId: 'k1', changedAt: b.masterChangedAt } });
    assert.equal(json[1]?.master, null);
    assert.ok(!('masterSecret' in (json[0] ?? {})));
    assert.match(await ok('mailbox', 'show', 'alice@example.com'), /^backend login: the address; IMAP\/POP3 as "alice@example\.com\*postern" \(master user of backend dovecot1\)$/m);
  });

  it('reads the password from stdin, takes another separator, and refuses what it cannot store', async () => {
    stdin = `${MASTER}\n`;
    await ok('backend', 'master', 'set', 'dovecot2', '--user', 'admin', '--separator', '%', '--stdin');
    assert.match(await ok('backend', 'show', 'dovecot2'), /^master user: +admin \(IMAP\/POP3 logins as "<backend login>%admin"\)$/m);

    prompts = ['one', 'two'];
    await fails(['backend', 'master', 'set', 'dovecot1', '--user', 'postern'], /the two entries do not match; nothing was changed/);
    stdin = ' padded\n';
    await fails(['backend', 'master', 'set', 'dovecot1', '--user', 'postern', '--stdin'], /the master password cannot be used: it starts or ends with a space/);
    stdin = 'x\n';
    await fails(['backend', 'master', 'set', 'dovecot1', '--user', 'post*ern', '--stdin'], /contains the separator "\*"/);
    await fails(['backend', 'master', 'set', 'nope', '--user', 'postern', '--stdin'], /backend "nope" does not exist/);
    await fails(['backend', 'master', 'set', 'dovecot1', '--stdin'], /required option '--user <name>'/);
    assert.equal((await peek((d) => d.getBackend('dovecot1')))?.masterUser, null, 'nothing was written');
    keyring = null;
    await fails(['backend', 'master', 'set', 'dovecot1', '--user', 'postern', '--stdin'], /the vault is off/);
  });

  it('shows an unreadable master password as UNREADABLE with its key id, never blank, and clears it', async () => {
    stdin = `${MASTER}\n`;
    await ok('backend', 'master', 'set', 'dovecot1', '--user', 'postern', '--stdin');
    keyring = testKeyring([['k2', 'active']], keys);
    assert.match(await ok('backend', 'show', 'dovecot1'), /^master password: +UNREADABLE \(key k1 is not configured .*; set it again with "postern backend master set"/m);
    assert.match(await ok('backend', 'list'), /dovecot1 .* postern \(UNREADABLE, key k1\)\n/);
    assert.equal(await ok('backend', 'master', 'clear', 'dovecot1'), "cleared the master login of backend dovecot1; IMAP and POP3 logins to it use the users' own credentials again\n");
    assert.match(await ok('backend', 'show', 'dovecot1'), /^master user: +none/m);
    assert.match((await cli('backend', 'master', 'set', '--help')).out, /Examples:\n {2}\$ postern backend master set dovecot1 --user postern\n/);
  });

  it('sets and clears a mailbox backend login', async () => {
    assert.equal(await ok('mailbox', 'change', 'alice@example.com', '--backend-login', 'Alice'), 'changed mailbox alice@example.com\n');
    assert.match(await ok('mailbox', 'show', 'alice@example.com'), /^backend login: "Alice"$/m);
    assert.equal(JSON.parse(await ok('mailbox', 'show', 'alice@example.com', '--json')).backendLogin, 'Alice');
    stdin = `${MASTER}\n`;
    await ok('backend', 'master', 'set', 'dovecot1', '--user', 'postern', '--stdin');
    assert.match(await ok('mailbox', 'show', 'alice@example.com'), /^backend login: "Alice"; IMAP\/POP3 as "Alice\*postern" \(master user of backend dovecot1\)$/m);
    await fails(['mailbox', 'change', 'alice@example.com', '--backend-login', 'a b'], /a backend login must be 1-255 characters without spaces/);
    await ok('mailbox', 'change', 'alice@example.com', '--no-backend-login');
    assert.equal((await peek((d) => d.getMailbox('alice@example.com')))?.backendLogin, null);
    assert.match((await cli('mailbox', 'change', '--help')).out, /--backend-login dave/);
  });
});
