/**
 * Backend credentials through the decision engine, against a real SQLite directory and a real
 * vault keyring, stored as the CLI stores them: a backend's master login (Dovecot master user)
 * and a mailbox's backend login decide what nginx logs in to the backend with.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthRequest } from '../authhttp/types.js';
import { createCredentialCache, type CacheEntry } from '../cache/credential-cache.js';
import { createMemoryStore } from '../cache/expiring-store.js';
import { masterSecretBinding, reversibleSecretBinding, type Directory } from '../directory/types.js';
import { createResolver } from '../dns/resolver.js';
import { dummyVerify, verifyPassword } from '../passwords/index.js';
import { openDirectory } from '../store/index.js';
import { openTempDirectory, type TempDirectory } from '../store/test-support.js';
import { encrypt, type Keyring } from '../vault/index.js';
import { testKeyring, type TestKeys } from '../vault/test-support.js';
import { expectedDigest } from './challenge.js';
import { createDecider, type Decider, type DeciderDeps } from './decide.js';
import { REFUSALS } from './outcome.js';

const MASTER = 'master pw 1';
const SALT = '<1896.697170952@dbc.mtview.ca.us>';
const TEMP = { kind: 'fail', temporary: true, message: REFUSALS.temporary.imap, smtpCode: REFUSALS.temporary.smtpCode };
let t: TempDirectory;
let keys: TestKeys;
let k1: Keyring;

function decider(keyring: Keyring | null = k1, over: Partial<DeciderDeps> = {}): Decider {
  return createDecider({
    directory: t.dir,
    resolver: createResolver({ ttlSeconds: 60, lookup: async (h) => Promise.reject(new Error(`ENOTFOUND ${h}`)) }),
    passwords: { verify: verifyPassword, dummyVerify },
    settings: { failureWaitSeconds: 2, maxAttempts: 10, defaultDomain: 'example.com', recipientDelimiter: '+' },
    keyring,
    ...over,
  });
}

function plain(user: string, pass: string, over: Partial<AuthRequest> = {}): AuthRequest {
  return { method: 'plain', protocol: 'imap', user: Buffer.from(user), pass: Buffer.from(pass), attempt: 1, clientIp: '192.0.2.10', ...over };
}

function challenge(method: 'apop' | 'cram-md5', user: string, secret: string, protocol: 'imap' | 'pop3' = method === 'apop' ? 'pop3' : 'imap'): AuthRequest {
  const pass = Buffer.from(expectedDigest(method, SALT, Buffer.from(secret)));
  return { method, protocol, user: Buffer.from(user), pass, salt: SALT, attempt: 1, clientIp: '192.0.2.10' };
}

async function setMaster(backend: string, user: string, secret: string, ring: Keyring = k1, separator?: string): Promise<string> {
  const b = (await t.dir.getBackend(backend))!;
  const ciphertext = encrypt(ring, 'credentials', Buffer.from(secret), masterSecretBinding(b.id));
  await t.dir.setBackendMaster(backend, { user, ciphertext, ...(separator ? { separator } : {}) });
  return ciphertext;
}

before(async () => {
  t = await openTempDirectory();
  keys = new Map();
  k1 = testKeyring([['k1', 'active']], keys);
  await t.dir.addDomain('example.com');
  await t.dir.addBackend({ name: 'mastered', host: '10.0.0.1', ports: { imap: 143, pop3: 110, smtp: 587 } });
  await t.dir.addBackend({ name: 'plain', host: '10.0.0.2', ports: { imap: 143, pop3: 110, smtp: 587 } });
  await t.dir.addBackend({ name: 'copied', host: '10.0.0.3', ports: { imap: 143 } });
  await t.dir.addBackend({ name: 'lost', host: '10.0.0.4', ports: { imap: 143 } });
  await t.dir.setRoute('default', null, 'mastered');
  for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) {
    await t.dir.addMailbox({ address: `${name}@example.com`, passwordHash: `{PLAIN}${name}-pw` });
  }
  await t.dir.addAlias('info@example.com', 'alice@example.com');
  await t.dir.changeMailbox('bob@example.com', { backendLogin: 'Bob' });
  await t.dir.setRoute('mailbox', 'carol@example.com', 'plain');
  await t.dir.changeMailbox('carol@example.com', { backendLogin: 'carol' });
  await t.dir.setRoute('mailbox', 'dave@example.com', 'copied');
  await t.dir.setRoute('mailbox', 'erin@example.com', 'lost');
  await t.dir.setRoute('mailbox', 'frank@example.com', 'plain');
  for (const a of ['alice', 'carol']) {
    const m = (await t.dir.getMailbox(`${a}@example.com`))!;
    await t.dir.setReversibleSecret(m.address, encrypt(k1, 'credentials', Buffer.from(`${a} secret`), reversibleSecretBinding(m.id)));
  }
  await t.dir.addCertMapping('fingerprint', 'bcc970f51f139f02019b3dde8742df2c57716af6', 'alice@example.com');
  await t.dir.addCertMapping('fingerprint', 'acc970f51f139f02019b3dde8742df2c57716af6', 'frank@example.com');
  const mastered = await setMaster('mastered', 'postern', MASTER);
  // The AAD binding: mastered's ciphertext stored on another backend's row does not decrypt there.
  await t.dir.setBackendMaster('copied', { user: 'postern', ciphertext: mastered });
  await setMaster('lost', 'postern', 'lost pw', testKeyring([['k0', 'active']], keys));
});

after(async () => t.cleanup());

describe('a backend with a master user', () => {
  test('IMAP and POP3 password logins log in as <address>*<master> with the master password', async () => {
    const decide = decider();
    for (const protocol of ['imap', 'pop3'] as const) {
      const trace: string[] = [];
      const out = await decide(plain('alice@example.com', 'alice-pw', { protocol }), trace);
      assert.deepEqual(out.decision, { kind: 'ok', server: '10.0.0.1', port: protocol === 'imap' ? 143 : 110, user: 'alice@example.com*postern', pass: MASTER });
      assert.equal(out.passFrom, 'the master password of backend "mastered"');
      assert.ok(trace.includes('backend "mastered" has master user "postern": nginx logs in as "alice@example.com*postern" with the master password'), trace.join('\n'));
    }
    // The user's own password still decides: a wrong one is refused before any backend is chosen.
    assert.equal((await decide(plain('alice@example.com', 'wrong'))).reason, 'bad-credentials');
  });

  test('an alias, or a differently spelt login, logs in as the canonical address', async () => {
    for (const user of ['info@example.com', 'ALICE', 'info@EXAMPLE.com']) {
      const { decision } = await decider()(plain(user, 'alice-pw'));
      assert.equal(decision.kind === 'ok' && decision.user, 'alice@example.com*postern', user);
    }
  });

  test("a mailbox's backend login takes the address's place, case kept", async () => {
    const out = await decider()(plain('bob@example.com', 'bob-pw', { protocol: 'pop3' }));
    assert.deepEqual(out.decision, { kind: 'ok', server: '10.0.0.1', port: 110, user: 'Bob*postern', pass: MASTER });
  });

  test('SMTP never gets the master credential: nginx sends no password to SMTP backends', async () => {
    const decide = decider();
    assert.deepEqual((await decide(plain('alice@example.com', 'alice-pw', { protocol: 'smtp' }))).decision, { kind: 'ok', server: '10.0.0.1', port: 587 });
    // XCLIENT LOGIN= names the user to the backend: the name the backend knows.
    assert.deepEqual((await decide(plain('bob@example.com', 'bob-pw', { protocol: 'smtp' }))).decision, { kind: 'ok', server: '10.0.0.1', port: 587, user: 'Bob' });
  });

  test('APOP and CRAM-MD5 check the digest against the reversible credential, then send the master password', async () => {
    const decide = decider();
    const apop = await decide(challenge('apop', 'alice@example.com', 'alice secret'));
    assert.deepEqual(apop.decision, { kind: 'ok', server: '10.0.0.1', port: 110, user: 'alice@example.com*postern', pass: MASTER });
    const cram = await decide(challenge('cram-md5', 'info@example.com', 'alice secret'));
    assert.deepEqual(cram.decision, { kind: 'ok', server: '10.0.0.1', port: 143, user: 'alice@example.com*postern', pass: MASTER });
    assert.equal((await decide(challenge('apop', 'alice@example.com', 'wrong'))).reason, 'bad-digest');
  });

  test('EXTERNAL gets the master password instead of a one-time value', async () => {
    const out = await decider()({
      method: 'external',
      protocol: 'imap',
      user: Buffer.alloc(0),
      pass: Buffer.alloc(0),
      attempt: 1,
      clientIp: '192.0.2.10',
      tls: { verify: 'SUCCESS', fingerprint: 'bcc970f51f139f02019b3dde8742df2c57716af6' },
    });
    assert.deepEqual(out.decision, { kind: 'ok', server: '10.0.0.1', port: 143, user: 'alice@example.com*postern', pass: MASTER });
  });

  test('the master password is decrypted once, and a new one is sent from the next login on', async () => {
    let opened = 0;
    const counting: Keyring = { active: k1.active, keys: k1.keys, get: (id) => (opened++, k1.get(id)) };
    const decide = decider(counting);
    const pass = async (): Promise<string | undefined> => {
      const { decision } = await decide(plain('alice@example.com', 'alice-pw'));
      return decision.kind === 'ok' ? decision.pass : undefined;
    };
    assert.equal(await pass(), MASTER);
    const once = opened;
    assert.ok(once > 0);
    assert.deepEqual([await pass(), await pass(), opened], [MASTER, MASTER, once], 'later logins use what was decrypted');
    const copied = await decide(plain('dave@example.com', 'dave-pw'));
    assert.equal(copied.reason, 'secret-undecryptable', "the same ciphertext on another backend's row is not taken from memory");
    await setMaster('mastered', 'postern', 'master pw 2', counting);
    try {
      assert.equal(await pass(), 'master pw 2', 'a new ciphertext is decrypted at the next login');
    } finally {
      await setMaster('mastered', 'postern', MASTER);
    }
  });

  test('a separator other than "*" is used as configured', async () => {
    await setMaster('plain', 'admin', 'percent pw', k1, '%');
    try {
      assert.deepEqual((await decider()(plain('frank@example.com', 'frank-pw'))).decision, { kind: 'ok', server: '10.0.0.2', port: 143, user: 'frank@example.com%admin', pass: 'percent pw' });
    } finally {
      await t.dir.setBackendMaster('plain', null);
    }
  });
});

describe('when the master password cannot be used: a temporary failure, never ciphertext or an empty password', () => {
  test('its key is not configured: the outcome names key k0 and the backend', async () => {
    const trace: string[] = [];
    const out = await decider()(plain('erin@example.com', 'erin-pw'), trace);
    assert.deepEqual(out.decision, TEMP);
    assert.equal(out.reason, 'secret-undecryptable');
    assert.equal(out.keyId, 'k0');
    assert.equal(out.backend, 'lost');
    assert.match(out.problem ?? '', /^the master password of backend "lost" is unreadable: key k0 is not configured/);
    assert.match(trace.join('\n'), /key k0 is not configured/);
  });

  test('a ciphertext copied from another backend does not decrypt (AAD bound to the backend row)', async () => {
    const out = await decider()(plain('dave@example.com', 'dave-pw'));
    assert.deepEqual(out.decision, TEMP);
    assert.equal(out.reason, 'secret-undecryptable');
    assert.equal(out.keyId, 'k1');
    assert.match(out.problem ?? '', /does not verify under key k1 \(damaged, copied from another record/);
  });

  test('the vault is off: the same temporary failure for every method, naming the key', async () => {
    const decide = decider(null);
    const out = await decide(plain('alice@example.com', 'alice-pw'));
    assert.deepEqual([out.decision, out.reason, out.keyId], [TEMP, 'secret-undecryptable', 'k1']);
    const ext = await decide({ method: 'external', protocol: 'pop3', user: Buffer.alloc(0), pass: Buffer.alloc(0), attempt: 1, clientIp: '192.0.2.10', tls: { verify: 'SUCCESS', fingerprint: 'bcc970f51f139f02019b3dde8742df2c57716af6' } });
    assert.equal(ext.reason, 'secret-undecryptable');
    assert.equal(ext.decision.kind, 'fail');
  });

  test('reset (its key lost): the master user stays and logins fail until the password is set again', async () => {
    await t.dir.clearSecretsOfKey('k0');
    const erin = await t.dir.getBackend('lost');
    assert.deepEqual([erin?.masterUser, erin?.masterSecret], ['postern', null]);
    const out = await decider()(plain('erin@example.com', 'erin-pw'));
    assert.deepEqual([out.decision, out.reason], [TEMP, 'master-login-unusable']);
    assert.match(out.problem ?? '', /no master password \(it was reset\): set it with "postern backend master set lost --user postern"/);
  });

  test('a backend login containing the separator would be split by the backend: refused', async () => {
    await t.dir.changeMailbox('bob@example.com', { backendLogin: 'bo*b' });
    try {
      const out = await decider()(plain('bob@example.com', 'bob-pw'));
      assert.deepEqual([out.decision, out.reason], [TEMP, 'master-login-unusable']);
      assert.match(out.problem ?? '', /contains backend "mastered"'s master user separator "\*"/);
    } finally {
      await t.dir.changeMailbox('bob@example.com', { backendLogin: 'Bob' });
    }
  });

  test('a master password nginx could not send is refused, not sent', async () => {
    await setMaster('plain', 'postern', ' padded');
    try {
      const out = await decider()(plain('frank@example.com', 'frank-pw'));
      assert.deepEqual([out.decision, out.reason], [TEMP, 'secret-unsendable']);
    } finally {
      await t.dir.setBackendMaster('plain', null);
    }
  });
});

describe('a backend without a master user', () => {
  test('a backend login replaces the address; nginx keeps the client password (plain) or gets the credential (CRAM-MD5)', async () => {
    const decide = decider();
    assert.deepEqual((await decide(plain('carol@example.com', 'carol-pw'))).decision, { kind: 'ok', server: '10.0.0.2', port: 143, user: 'carol' });
    const cram = await decide(challenge('cram-md5', 'carol@example.com', 'carol secret'));
    assert.deepEqual(cram.decision, { kind: 'ok', server: '10.0.0.2', port: 143, user: 'carol', pass: 'carol secret' });
    assert.equal(cram.passFrom, 'the reversible credential of carol@example.com');
  });

  test('without a backend login nothing changes: EXTERNAL still gets a one-time value', async () => {
    const decide = decider();
    assert.deepEqual((await decide(plain('frank@example.com', 'frank-pw'))).decision, { kind: 'ok', server: '10.0.0.2', port: 143 });
    const ext = await decide({ method: 'external', protocol: 'imap', user: Buffer.alloc(0), pass: Buffer.alloc(0), attempt: 1, clientIp: '192.0.2.10', tls: { verify: 'SUCCESS', fingerprint: 'acc970f51f139f02019b3dde8742df2c57716af6' } });
    assert.equal(ext.decision.kind, 'ok');
    assert.equal(ext.decision.kind === 'ok' && ext.decision.user, 'frank@example.com');
    assert.match(ext.decision.kind === 'ok' ? (ext.decision.pass ?? '') : '', /^[A-Za-z0-9_-]{24}$/);
    assert.equal(ext.passFrom, 'a random one-time value for EXTERNAL');
  });
});

describe('the stale cache while the directory is down', () => {
  let directory: Directory;
  before(async () => {
    directory = await openDirectory({ kind: 'sqlite', path: t.file });
  });

  test('answers a login to a plain backend, but never one whose master login or backend login it cannot read', async () => {
    const cache = createCredentialCache(createMemoryStore<CacheEntry>({ maxEntries: 100 }), { ttlSeconds: 3600, negativeTtlSeconds: 60, staleSeconds: 3600 });
    const decide = decider(k1, { directory, ...(cache ? { cache } : {}) });
    for (const [user, pass] of [['alice@example.com', 'alice-pw'], ['frank@example.com', 'frank-pw'], ['carol@example.com', 'carol-pw']] as const) {
      assert.equal((await decide(plain(user, pass))).decision.kind, 'ok', user);
    }
    await directory.close();
    const frank = await decide(plain('frank@example.com', 'frank-pw'));
    assert.deepEqual([frank.decision, frank.reason], [{ kind: 'ok', server: '10.0.0.2', port: 143 }, 'ok-stale-cache']);
    const trace: string[] = [];
    await assert.rejects(decide(plain('alice@example.com', 'alice-pw'), trace), 'the master password is in the directory');
    assert.match(trace.join('\n'), /backend "mastered" needs the master login or backend login from the directory: no stale answer/);
    await assert.rejects(decide(plain('carol@example.com', 'carol-pw')), 'the backend login is in the directory');
  });
});
