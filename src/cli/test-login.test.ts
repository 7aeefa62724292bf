/**
 * `postern test-login` with APOP and CRAM-MD5 against a configuration made by `init` (its vault
 * key k1) and a real SQLite directory: it makes a salt as nginx does, computes the client's
 * digest from the password it reads (or takes --salt and --digest), and never prints Auth-Pass.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initConfig } from '../config/init.js';
import { loadConfig } from '../config/load.js';
import { masterSecretBinding, reversibleSecretBinding } from '../directory/types.js';
import { openDirectory } from '../store/index.js';
import { tempFolder } from '../store/test-support.js';
import { encrypt } from '../vault/index.js';
import { nginxSalt, registerTestLogin } from './test-login.js';
import { runCli } from './test-support.js';

const SECRET = 'tanstaaf';
const MASTER = 'master pw';

describe('test-login with APOP and CRAM-MD5', () => {
  const tmp = tempFolder();
  const configFile = path.join(tmp.folder, 'postern.toml');
  let typed: string[] = [];

  async function testLogin(...args: string[]): Promise<string> {
    const r = await runCli(
      (program, out) =>
        registerTestLogin(program, () => loadConfig(configFile, {}), out, {
          readStdin: async () => typed.shift() ?? '',
          readPassword: async () => typed.shift() ?? '',
        }),
      ['test-login', ...args],
    );
    assert.equal(r.code, 0, r.err);
    assert.ok(!r.out.includes(SECRET) && !r.out.includes(MASTER), 'Auth-Pass is never printed');
    return r.out;
  }

  before(async () => {
    initConfig(configFile, { port: 18999 });
    const cfg = loadConfig(configFile, {});
    const dir = await openDirectory({ kind: 'sqlite', path: cfg.database.path });
    try {
      await dir.addDomain('example.com');
      await dir.addBackend({ name: 'dovecot', host: '127.0.0.1', ports: { imap: 143, pop3: 110 } });
      await dir.addBackend({ name: 'mastered', host: '127.0.0.2', ports: { imap: 143, pop3: 110 } });
      await dir.setRoute('default', null, 'dovecot');
      for (const a of ['alice@example.com', 'bob@example.com']) {
        const m = await dir.addMailbox({ address: a, passwordHash: null });
        await dir.setReversibleSecret(a, encrypt(cfg.keyring!, 'credentials', Buffer.from(SECRET), reversibleSecretBinding(m.id)));
      }
      const tim = await dir.addMailbox({ address: 'tim@example.com', passwordHash: null });
      await dir.setReversibleSecret(tim.address, encrypt(cfg.keyring!, 'credentials', Buffer.from('tanstaaftanstaaf'), reversibleSecretBinding(tim.id)));
      await dir.setRoute('mailbox', 'bob@example.com', 'mastered');
      const b = (await dir.getBackend('mastered'))!;
      await dir.setBackendMaster('mastered', { user: 'postern', ciphertext: encrypt(cfg.keyring!, 'credentials', Buffer.from(MASTER), masterSecretBinding(b.id)) });
    } finally {
      await dir.close();
    }
  });
  after(() => tmp.remove());

  it('makes salts the way nginx does', () => {
    assert.match(nginxSalt('mail.example.com'), /^<\d+\.\d{10}@mail\.example\.com>$/);
    assert.notEqual(nginxSalt(), nginxSalt());
  });

  it('APOP: reads the password, computes the digest over a fresh salt, defaults to POP3', async () => {
    typed = [SECRET];
    const out = await testLogin('alice@example.com', '--method', 'apop', '--password-stdin');
    assert.match(out, /^result: {2}ok\nreason: {2}ok\nmailbox: alice@example\.com\nbackend: dovecot\nsalt: {4}<\d+\.\d+@[^>]+> \(digest sent: [0-9a-f]{32}\)\n/);
    assert.match(out, /apop digest verified/);
    assert.match(out, /^ {2}Auth-Port: 110$/m);
    assert.match(out, /^ {2}Auth-Pass: \(the reversible credential of alice@example\.com, not shown\)$/m);

    typed = ['wrong'];
    assert.match(await testLogin('alice@example.com', '--method', 'apop', '--password-stdin'), /^result: {2}fail\nreason: {2}bad-digest\n/);
  });

  it('CRAM-MD5 with a given salt and digest (RFC 2195) replays a real session', async () => {
    // RFC 2195's example: user tim, secret "tanstaaftanstaaf", this challenge, this digest.
    const out = await testLogin('tim@example.com', '--method', 'cram-md5', '--salt', '<1896.697170952@postoffice.reston.mci.net>', '--digest', 'b913a602c7eda7a495b4e6e7334d3890');
    assert.match(out, /^result: {2}ok\n/);
    assert.match(out, /^ {2}Auth-Port: 143$/m);
    const json = JSON.parse(await testLogin('tim@example.com', '--method', 'cram-md5', '--protocol', 'pop3', '--salt', '<1896.697170952@postoffice.reston.mci.net>', '--digest', 'B913A602C7EDA7A495B4E6E7334D3890', '--json'));
    assert.equal(json.result, 'ok');
    assert.equal(json.salt, '<1896.697170952@postoffice.reston.mci.net>');
  });

  it("shows a backend's master login without its password", async () => {
    typed = [SECRET];
    const out = await testLogin('bob@example.com', '--method', 'cram-md5', '--password-stdin');
    assert.match(out, /^ {2}Auth-User: bob@example\.com\*postern$/m);
    assert.match(out, /^ {2}Auth-Pass: \(the master password of backend "mastered", not shown\)$/m);
  });

  it('refuses APOP outside POP3, and --salt without a challenge method', async () => {
    await assert.rejects(testLogin('alice@example.com', '--method', 'apop', '--protocol', 'imap', '--digest', '0'.repeat(32)), /APOP exists only in POP3/);
    await assert.rejects(testLogin('alice@example.com', '--salt', '<1.2@x>'), /--salt and --digest go with --method apop or cram-md5/);
  });
});
