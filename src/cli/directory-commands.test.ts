/** The directory commands driven through commander against a real SQLite directory in a temp folder. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { directoryAt, expectFailure, expectOk, runCli, type CliResult } from './test-support.js';
import type { Directory } from '../directory/types.js';
import { tempFolder } from '../store/test-support.js';
import { decrypt, type Keyring } from '../vault/index.js';
import { keySpellings, testKeyring, type TestKeys } from '../vault/test-support.js';
import { reversibleSecretBinding } from '../directory/types.js';
import { formatTable, passwordScheme, registerDirectoryCommands } from './directory-commands.js';


describe('directory commands', () => {
  let tmp: ReturnType<typeof tempFolder>;
  let file: string;
  let prompts: string[];
  let stdin: string;
  let keyring: Keyring | null;
  const withDirectory = directoryAt(() => file);
  const peek = <T>(fn: (d: Directory) => Promise<T>) => withDirectory(fn);

  function cli(...args: string[]): Promise<CliResult> {
    return runCli(
      (program, out) =>
        registerDirectoryCommands(program, {
          withDirectory,
          hashPassword: async (pw) => `{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$${Buffer.from(pw).toString('base64')}`,
          readPassword: async () => prompts.shift() ?? '',
          out,
          readStdin: async () => stdin,
          keyring: () => keyring,
        }),
      args,
    );
  }
  const ok = async (...args: string[]): Promise<string> => expectOk(await cli(...args), args);
  const fails = async (args: string[], pattern: RegExp): Promise<void> => expectFailure(await cli(...args), args, pattern);

  beforeEach(() => {
    tmp = tempFolder();
    file = path.join(tmp.folder, 'directory.db');
    prompts = [];
    stdin = '';
    keyring = null;
  });
  afterEach(() => tmp.remove());

  it('manages domains and domain aliases', async () => {
    assert.match(await ok('domain', 'list'), /no domains yet/);
    assert.equal(await ok('domain', 'add', 'Example.COM'), 'added domain example.com\n');
    await ok('domain', 'add', 'b.org');
    await ok('domain', 'alias', 'add', 'example.net', 'example.com');
    const table = (await ok('domain', 'list')).split('\n');
    assert.match(table[0] ?? '', /^DOMAIN\s+ALIASES\s+CREATED$/);
    assert.match(table[1] ?? '', /^b\.org\s+-\s+\d{4}-/);
    assert.match(table[2] ?? '', /^example\.com\s+example\.net\s+\d{4}-/);
    const json = JSON.parse(await ok('domain', 'list', '--json')) as Array<{ name: string; aliases: string[] }>;
    assert.deepEqual(json.map((d) => [d.name, d.aliases]), [['b.org', []], ['example.com', ['example.net']]]);
    await fails(['domain', 'add', 'example.com'], /^error: domain "example\.com" already exists\n$/);
    await fails(['domain', 'alias', 'add', 'x.org', 'nope.org'], /error: domain "nope\.org" does not exist: add it first with "postern domain add nope\.org"/);
    await ok('domain', 'alias', 'remove', 'example.net');
    await ok('domain', 'remove', 'b.org');
    assert.deepEqual((await peek((d) => d.listDomains())).map((d) => [d.name, d.aliases]), [['example.com', []]]);
  });

  it('adds mailboxes with a prompted, piped or pre-hashed password', async () => {
    await ok('domain', 'add', 'example.com');
    prompts = ['s3cret', 's3cret'];
    assert.equal(await ok('mailbox', 'add', 'Alice@example.com'), 'added mailbox alice@example.com\n');
    assert.match((await peek((d) => d.getMailbox('alice@example.com')))?.passwordHash ?? '', /^\{ARGON2ID\}/);

    prompts = ['one', 'two'];
    await fails(['mailbox', 'add', 'bob@example.com'], /error: the passwords do not match/);
    assert.equal(await peek((d) => d.getMailbox('bob@example.com')), null);

    stdin = 'piped\n';
    await ok('mailbox', 'add', 'bob@example.com', '--password-stdin', '--protocols', 'imap,smtp', '--networks', '10.0.0.0/8,2001:db8::/32', '--disabled');
    const bob = await peek((d) => d.getMailbox('bob@example.com'));
    assert.equal(bob?.passwordHash, `{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$${Buffer.from('piped').toString('base64')}`);
    assert.deepEqual([bob?.enabled, bob?.protocols, bob?.networks], [false, ['imap', 'smtp'], ['10.0.0.0/8', '2001:db8::/32']]);

    // Hashes made by `doveadm pw` (of "sécret"): stored exactly as given.
    await ok('mailbox', 'add', 'carol@example.com', '--password-hash', '{SHA512-CRYPT}$6$AW/.fhfwHHRt1GOO$abJduIjDGRViFrPcmaxBSJJyeBTHMMn2cELemKWlXG59fz.i2SUYnqS/6SsthrdhW/pI14Ro.Now66nEyulTJ1');
    assert.equal((await peek((d) => d.getMailbox('carol@example.com')))?.passwordHash, '{SHA512-CRYPT}$6$AW/.fhfwHHRt1GOO$abJduIjDGRViFrPcmaxBSJJyeBTHMMn2cELemKWlXG59fz.i2SUYnqS/6SsthrdhW/pI14Ro.Now66nEyulTJ1');
    await ok('mailbox', 'add', 'dave@example.com', '--password-hash', '$1$wBzNpFdI$gZcx5fFtkZkSMGRBEI1Ln1');
    await fails(['mailbox', 'add', 'erin@example.com', '--password-hash', '{SHA512-CRYPT}$6$salt$hash'], /error: --password-hash: malformed-hash: SHA512-CRYPT/);
    await fails(['mailbox', 'add', 'erin@example.com', '--password-hash', '{MD5}abc'], /error: --password-hash: unsupported-scheme: MD5/);
  });

  it('reports bad mailbox input as errors with exit code 1', async () => {
    await ok('domain', 'add', 'example.com');
    const hash = ['--password-hash', '{PLAIN}x'];
    await fails(['mailbox', 'add', 'a@x.org', ...hash], /^error: domain "x\.org" does not exist: add it first with "postern domain add x\.org"\n$/);
    await fails(['mailbox', 'add', 'a@example.com', ...hash, '--networks', '10.0.0.0/33'], /error: "10\.0\.0\.0\/33" is not a valid CIDR/);
    await fails(['mailbox', 'add', 'a@example.com', ...hash, '--protocols', 'imap,http'], /error: unknown protocol "http"/);
    await fails(['mailbox', 'add', 'a@example.com', '--password-stdin', ...hash], /cannot be used with/);
    stdin = '\n';
    await fails(['mailbox', 'add', 'a@example.com', '--password-stdin'], /error: the password is empty/);
    await ok('mailbox', 'add', 'a@example.com', ...hash);
    await fails(['mailbox', 'add', 'A@example.com', ...hash], /error: mailbox "a@example\.com" already exists/);
  });

  it('lists and shows mailboxes without ever printing a hash', async () => {
    await ok('domain', 'add', 'example.com');
    await ok('domain', 'add', 'other.org');
    const secretHash = '{SHA512-CRYPT}$6$AW/.fhfwHHRt1GOO$abJduIjDGRViFrPcmaxBSJJyeBTHMMn2cELemKWlXG59fz.i2SUYnqS/6SsthrdhW/pI14Ro.Now66nEyulTJ1';
    await ok('mailbox', 'add', 'alice@example.com', '--password-hash', secretHash, '--networks', '192.0.2.0/24');
    await ok('mailbox', 'add', 'bob@other.org', '--password-hash', '$2y$05$jGd2TlRwkrzzJP8DUN.IdO77KWhVHTvKzSRyU8jpQkmPEEfJsT1su');
    await ok('alias', 'add', 'info@example.com', 'alice@example.com');
    await ok('backend', 'add', 'b1', '--host', '192.0.2.10', '--imap-port', '143');
    await ok('route', 'set', '--domain', 'example.com', '--backend', 'b1');

    const list = await ok('mailbox', 'list');
    assert.match(list, /^ADDRESS\s+ENABLED\s+PASSWORD\s+PROTOCOLS\s+NETWORKS\n/);
    assert.match(list, /alice@example\.com\s+yes\s+SHA512-CRYPT\s+imap,pop3,smtp\s+192\.0\.2\.0\/24\n/);
    assert.match(list, /bob@other\.org\s+yes\s+CRYPT\s+imap,pop3,smtp\s+any\n/);
    assert.equal((await ok('mailbox', 'list', '--domain', 'other.org')).split('\n').length, 3);
    const json = await ok('mailbox', 'list', '--json');
    assert.equal((JSON.parse(json) as Array<{ passwordScheme: string }>)[0]?.passwordScheme, 'SHA512-CRYPT');

    const show = await ok('mailbox', 'show', 'ALICE@example.com');
    assert.match(show, /^address: +alice@example\.com$/m);
    assert.match(show, /^password: +SHA512-CRYPT$/m);
    assert.match(show, /^aliases: +info@example\.com$/m);
    assert.match(show, /^backend: +b1$/m);
    assert.match(await ok('mailbox', 'show', 'bob@other.org'), /^backend: +none/m);
    const showJson = await ok('mailbox', 'show', 'alice@example.com', '--json');
    for (const output of [list, json, show, showJson]) {
      assert.ok(!output.includes('AW/.fhfwHHRt1GOO'), 'hash leaked');
      assert.ok(!output.includes('jGd2TlRwkrzzJP8DUN'), 'hash leaked');
      assert.ok(!/passwordHash/.test(output), 'hash field leaked');
    }
    await fails(['mailbox', 'show', 'nobody@example.com'], /error: mailbox "nobody@example\.com" does not exist/);
    await fails(['mailbox', 'list', '--domain', 'nope.org'], /error: domain "nope\.org" does not exist/);
  });

  it('changes and removes mailboxes', async () => {
    await ok('domain', 'add', 'example.com');
    await ok('mailbox', 'add', 'a@example.com', '--password-hash', '{PLAIN}old', '--networks', '10.0.0.0/8');
    await ok('mailbox', 'change', 'a@example.com', '--disable', '--protocols', 'imap', '--any-network');
    let m = await peek((d) => d.getMailbox('a@example.com'));
    assert.deepEqual([m?.enabled, m?.protocols, m?.networks], [false, ['imap'], []]);
    prompts = ['newpw', 'newpw'];
    await ok('mailbox', 'change', 'a@example.com', '--password', '--enable', '--networks', '2001:db8::/48');
    m = await peek((d) => d.getMailbox('a@example.com'));
    assert.deepEqual([m?.enabled, m?.networks], [true, ['2001:db8::/48']]);
    assert.match(m?.passwordHash ?? '', /^\{ARGON2ID\}/);
    await fails(['mailbox', 'change', 'a@example.com'], /error: nothing to change/);
    await fails(['mailbox', 'change', 'a@example.com', '--enable', '--disable'], /cannot be used with/);
    await fails(['mailbox', 'change', 'a@example.com', '--networks', '10.1.2.3/8'], /did you mean "10\.0\.0\.0\/8"/);
    await fails(['mailbox', 'change', 'x@example.com', '--enable'], /error: mailbox "x@example\.com" does not exist/);
    await ok('mailbox', 'remove', 'a@example.com');
    assert.equal(await peek((d) => d.getMailbox('a@example.com')), null);
    await fails(['mailbox', 'remove', 'a@example.com'], /does not exist/);
    await fails(['domain', 'remove', 'nope.org'], /does not exist/);
  });

  it('manages aliases', async () => {
    await ok('domain', 'add', 'example.com');
    await ok('mailbox', 'add', 'a@example.com', '--password-hash', '{PLAIN}x');
    assert.equal(await ok('alias', 'add', 'Info@example.com', 'a@example.com'), 'added alias info@example.com -> a@example.com\n');
    assert.match(await ok('alias', 'list'), /^ALIAS\s+MAILBOX\ninfo@example\.com\s+a@example\.com\n$/);
    assert.deepEqual(JSON.parse(await ok('alias', 'list', '--mailbox', 'a@example.com', '--json')).length, 1);
    await fails(['alias', 'add', 'info@example.com', 'a@example.com'], /already an alias/);
    await fails(['alias', 'add', 'x@example.com', 'b@example.com'], /mailbox "b@example\.com" does not exist/);
    await ok('alias', 'remove', 'info@example.com');
    assert.match(await ok('alias', 'list'), /no aliases/);
    await fails(['domain', 'remove', 'example.com'], /still has 1 mailbox/);
  });

  it('manages backends and validates ports', async () => {
    await ok('backend', 'add', 'Dovecot1', '--host', '10.0.0.5', '--imap-port', '143', '--pop3-port', '110', '--mx-port', '25');
    await fails(['backend', 'add', 'x', '--host', '10.0.0.6', '--imap-port', '70000'], /error: option '--imap-port <n>' argument '70000' is invalid\. a port is a whole number from 1 to 65535\./);
    await fails(['backend', 'add', 'x', '--host', '10.0.0.6', '--imap-port', 'abc'], /is invalid/);
    await fails(['backend', 'add', 'x', '--imap-port', '143'], /required option '--host <host>'/);
    await fails(['backend', 'add', 'x', '--host', '10.0.0.6'], /error: a backend needs at least one port/);
    await fails(['backend', 'add', 'dovecot1', '--host', '10.0.0.6', '--imap-port', '1'], /already exists/);
    assert.match(await ok('backend', 'list'), /^NAME\s+HOST\s+IMAP\s+POP3\s+SMTP\s+MX\s+MASTER\ndovecot1\s+10\.0\.0\.5\s+143\s+110\s+-\s+25\s+-\n$/);
    await ok('backend', 'change', 'dovecot1', '--host', '10.0.0.7', '--no-pop3-port', '--smtp-port', '587', '--rename', 'main');
    const b = await peek((d) => d.getBackend('main'));
    assert.deepEqual([b?.host, b?.ports], ['10.0.0.7', { imap: 143, pop3: null, smtp: 587, mx: 25 }]);
    await fails(['backend', 'change', 'main'], /nothing to change/);
    assert.equal(JSON.parse(await ok('backend', 'list', '--json'))[0].name, 'main');
    await ok('route', 'set', '--default', '--backend', 'main');
    await fails(['backend', 'remove', 'main'], /error: backend "main" is still used by 1 route \(default\)/);
    await ok('route', 'remove', '--default');
    await ok('backend', 'remove', 'main');
    assert.deepEqual(await peek((d) => d.listBackends()), []);
  });

  it('sets, lists and removes routes with every selector', async () => {
    await ok('domain', 'add', 'example.com');
    await ok('mailbox', 'add', 'a@example.com', '--password-hash', '{PLAIN}x');
    await ok('backend', 'add', 'b1', '--host', '192.0.2.1', '--imap-port', '143');
    await ok('backend', 'add', 'legacy', '--host', '192.0.2.2', '--imap-port', '143');
    assert.equal(await ok('route', 'set', '--default', '--backend', 'b1'), 'route default -> b1\n');
    await ok('route', 'set', '--domain', 'example.com', '--backend', 'b1');
    await ok('route', 'set', '--mailbox', 'a@example.com', '--backend', 'legacy');
    assert.equal(await ok('route', 'set', '--unknown', '--backend', 'legacy'), 'route unknown (all domains) -> legacy\n');
    await ok('route', 'set', '--unknown', '--domain', 'example.com', '--backend', 'legacy');
    await ok('route', 'set', '--default', '--backend', 'legacy');
    const lines = (await ok('route', 'list')).trimEnd().split('\n');
    assert.deepEqual(lines.map((l) => l.split(/\s+/)), [
      ['KIND', 'SUBJECT', 'BACKEND'],
      ['default', '-', 'legacy'],
      ['domain', 'example.com', 'b1'],
      ['mailbox', 'a@example.com', 'legacy'],
      ['unknown', '(all', 'domains)', 'legacy'],
      ['unknown', 'example.com', 'legacy'],
    ]);
    await fails(['route', 'set', '--backend', 'b1'], /choose exactly one/);
    await fails(['route', 'set', '--default', '--mailbox', 'a@example.com', '--backend', 'b1'], /choose exactly one/);
    await fails(['route', 'set', '--default'], /required option '--backend <name>'/);
    await fails(['route', 'set', '--domain', 'nope.org', '--backend', 'b1'], /domain "nope\.org" does not exist/);
    await fails(['route', 'set', '--default', '--backend', 'nope'], /backend "nope" does not exist/);
    await ok('route', 'remove', '--unknown', '--domain', 'example.com');
    await ok('route', 'remove', '--mailbox', 'a@example.com');
    await fails(['route', 'remove', '--mailbox', 'a@example.com'], /no mailbox a@example\.com route/);
    assert.equal((await peek((d) => d.listRoutes())).length, 3);
  });

  it('maps certificates, normalising fingerprints', async () => {
    await ok('domain', 'add', 'example.com');
    await ok('mailbox', 'add', 'a@example.com', '--password-hash', '{PLAIN}x');
    const fp = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01';
    assert.equal(await ok('cert', 'add', '--fingerprint', fp, 'a@example.com'), 'added certificate fingerprint abcdef0123456789abcdef0123456789abcdef01 -> a@example.com\n');
    await ok('cert', 'add', '--subject', 'CN=alice,O=Example', 'a@example.com');
    await fails(['cert', 'add', '--fingerprint', 'abc', 'a@example.com'], /error: "abc" is not a SHA-1 fingerprint/);
    await fails(['cert', 'add', 'a@example.com'], /exactly one of --subject or --fingerprint/);
    await fails(['cert', 'add', '--fingerprint', fp, 'a@example.com'], /already mapped/);
    assert.match(await ok('cert', 'list'), /^MATCH\s+VALUE\s+MAILBOX\nfingerprint\s+abcdef0123456789abcdef0123456789abcdef01\s+a@example\.com\nsubject\s+CN=alice,O=Example\s+a@example\.com\n$/);
    await ok('cert', 'remove', '--fingerprint', fp.toLowerCase());
    await ok('cert', 'remove', '--subject', 'CN=alice,O=Example');
    await fails(['cert', 'remove', '--subject', 'CN=alice,O=Example'], /no mailbox is mapped/);
    assert.deepEqual(await peek((d) => d.listCertMappings()), []);
  });

  it('sets, shows and clears a reversible credential, never printing it or its ciphertext', async () => {
    const keys: TestKeys = new Map();
    await ok('domain', 'add', 'example.com');
    await ok('mailbox', 'add', 'alice@example.com', '--password-hash', '{PLAIN}x');
    await ok('mailbox', 'add', 'bob@example.com', '--password-hash', '{PLAIN}x');
    await fails(['mailbox', 'secret', 'set', 'alice@example.com', '--stdin'], /the vault is off/);
    keyring = testKeyring([['k1', 'active']], keys);
    assert.match(await ok('mailbox', 'show', 'alice@example.com'), /^reversible credential: not set$/m);

    stdin = 'tanstaaf\n';
    assert.match(await ok('mailbox', 'secret', 'set', 'alice@example.com', '--stdin'), /set the reversible credential of alice@example\.com \(encrypted with vault key k1\)/);
    const alice = (await peek((d) => d.getMailbox('alice@example.com')))!;
    assert.match(alice.reversibleSecret ?? '', /^pv1\.k1\./);
    assert.ok(!(alice.reversibleSecret ?? '').includes('tanstaaf'));
    const opened = decrypt(keyring, 'credentials', alice.reversibleSecret!, reversibleSecretBinding(alice.id));
    assert.ok(opened.ok && opened.plaintext.toString() === 'tanstaaf', 'stored under the mailbox binding, purpose credentials');

    const shown = await ok('mailbox', 'show', 'alice@example.com');
    assert.match(shown, new RegExp(`^reversible credential: set \\(key k1, changed ${alice.secretChangedAt}\\)$`, 'm'));
    const json = await ok('mailbox', 'show', 'alice@example.com', '--json');
    assert.equal(JSON.parse(json).reversibleCredential.state, 'set');
    const list = await ok('mailbox', 'list', '--json');
    for (const text of [shown, json, list]) {
      assert.ok(!text.includes('tanstaaf') && !text.includes(alice.reversibleSecret!), text);
      for (const k of keySpellings(keys)) assert.ok(!text.includes(k));
    }

    // Prompted twice; a mismatch changes nothing.
    prompts = ['one', 'two'];
    await fails(['mailbox', 'secret', 'set', 'bob@example.com'], /do not match; nothing was changed/);
    prompts = ['bob secret', 'bob secret'];
    await ok('mailbox', 'secret', 'set', 'bob@example.com');
    stdin = ' padded\n';
    await fails(['mailbox', 'secret', 'set', 'bob@example.com', '--stdin'], /starts or ends with a space/);
    stdin = 'x\n';
    await fails(['mailbox', 'secret', 'set', 'nobody@example.com', '--stdin'], /does not exist/);

    // Another keyring (k1 gone): shown as UNREADABLE with the key id, never blank.
    keyring = testKeyring([['k2', 'active']], keys);
    assert.match(await ok('mailbox', 'show', 'alice@example.com'), /^reversible credential: UNREADABLE \(key k1 is not configured .*\)$/m);
    keyring = null;
    assert.match(await ok('mailbox', 'show', 'alice@example.com'), /^reversible credential: UNREADABLE \(key k1 is not configured/m);
    // A rotated keyring: new writes name the new active key; the other mailbox is untouched.
    keyring = testKeyring([['k2', 'active'], ['k1', 'decrypt-only']], keys);
    stdin = 'tanstaaf\n';
    assert.match(await ok('mailbox', 'secret', 'set', 'alice@example.com', '--stdin'), /vault key k2/);
    assert.match(await ok('mailbox', 'show', 'bob@example.com'), /reversible credential: set \(key k1,/);

    assert.equal(await ok('mailbox', 'secret', 'clear', 'alice@example.com'), 'cleared the reversible credential of alice@example.com\n');
    assert.match(await ok('mailbox', 'show', 'alice@example.com'), /^reversible credential: not set$/m);
  });

  it('shows examples in --help', async () => {
    const r = await cli('route', 'set', '--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /Examples:\n {2}\$ postern route set --default --backend dovecot1/);
  });
});

describe('formatting helpers', () => {
  it('aligns columns', () => {
    assert.deepEqual(formatTable(['A', 'BB'], [['long', 'x'], ['s', '']]), ['A     BB', 'long  x', 's']);
  });
  it('extracts the password scheme', () => {
    assert.equal(passwordScheme('{ssha512}abc'), 'SSHA512');
    assert.equal(passwordScheme('$6$salt$hash'), 'CRYPT');
    assert.equal(passwordScheme(null), 'none');
  });
});
