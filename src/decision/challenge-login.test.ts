/**
 * APOP and CRAM-MD5 through the decision engine, against a real SQLite directory and a real
 * vault keyring: the credential is stored as the CLI stores it (encrypted, bound to the row).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthRequest } from '../authhttp/types.js';
import { reversibleSecretBinding, type Mailbox, type NewMailbox } from '../directory/types.js';
import { createResolver } from '../dns/resolver.js';
import { dummyVerify, verifyPassword } from '../passwords/index.js';
import { openTempDirectory, type TempDirectory } from '../store/test-support.js';
import { encrypt, type Keyring } from '../vault/index.js';
import { testKeyring, type TestKeys } from '../vault/test-support.js';
import { expectedDigest } from './challenge.js';
import { createDecider, type Decider } from './decide.js';
import { REFUSALS } from './outcome.js';

const SALT = '<1896.697170952@dbc.mtview.ca.us>';
let t: TempDirectory;
let keys: TestKeys;
let ring: Keyring;

function decider(keyring: Keyring | null): Decider {
  return createDecider({
    directory: t.dir,
    resolver: createResolver({ ttlSeconds: 60, lookup: async (h) => Promise.reject(new Error(`ENOTFOUND ${h}`)) }),
    passwords: { verify: verifyPassword, dummyVerify },
    settings: { failureWaitSeconds: 2, maxAttempts: 10, defaultDomain: 'example.com', recipientDelimiter: '+' },
    keyring,
  });
}

function req(method: 'apop' | 'cram-md5', user: string, secret: string, over: Partial<AuthRequest> = {}): AuthRequest {
  const protocol = over.protocol ?? (method === 'apop' ? 'pop3' : 'imap');
  return {
    method,
    protocol,
    user: Buffer.from(user),
    pass: Buffer.from(expectedDigest(method, SALT, Buffer.from(secret))),
    salt: SALT,
    attempt: 1,
    clientIp: '192.0.2.10',
    ...over,
  };
}

async function setSecret(address: string, secret: string, keyring = ring): Promise<Mailbox> {
  const m = (await t.dir.getMailbox(address))!;
  return t.dir.setReversibleSecret(address, encrypt(keyring, 'credentials', Buffer.from(secret), reversibleSecretBinding(m.id)));
}

before(async () => {
  t = await openTempDirectory();
  keys = new Map();
  ring = testKeyring([['k1', 'active']], keys);
  await t.dir.addDomain('example.com');
  await t.dir.addBackend({ name: 'b1', host: '10.0.0.1', ports: { imap: 143, pop3: 110, smtp: 587 } });
  await t.dir.setRoute('default', null, 'b1');
  const boxes: Array<[string, Partial<NewMailbox>]> = [
    ['alice@example.com', {}],
    ['bob@example.com', {}],
    ['carol@example.com', { enabled: false }],
    ['dave@example.com', { protocols: ['imap'] }],
    ['erin@example.com', { networks: ['198.51.100.0/24'] }],
    ['frank@example.com', {}],
    ['spacey@example.com', {}],
  ];
  for (const [address, extra] of boxes) {
    await t.dir.addMailbox({ address, passwordHash: '{PLAIN}plainpw', ...extra });
  }
  await t.dir.addAlias('info@example.com', 'alice@example.com');
  await setSecret('alice@example.com', 'tanstaaf');
  for (const a of ['carol', 'dave', 'erin']) await setSecret(`${a}@example.com`, 'tanstaaf');
  await setSecret('spacey@example.com', ' tanstaaf');
});

after(async () => t.cleanup());

describe('APOP and CRAM-MD5 with a reversible credential', () => {
  test('APOP with the right digest: OK with the cleartext credential in Auth-Pass', async () => {
    const out = await decider(ring)(req('apop', 'alice@example.com', 'tanstaaf'));
    assert.deepEqual(out.decision, { kind: 'ok', server: '10.0.0.1', port: 110, pass: 'tanstaaf' });
    assert.equal(out.reason, 'ok');
    assert.equal(out.mailbox, 'alice@example.com');
    assert.equal(out.verified, undefined, 'no password hash to upgrade');
  });

  test('CRAM-MD5 with the right digest (any hex case), through an alias: Auth-User is the canonical address', async () => {
    const r = req('cram-md5', 'info@example.com', 'tanstaaf');
    r.pass = Buffer.from(r.pass.toString().toUpperCase());
    const out = await decider(ring)(r);
    assert.deepEqual(out.decision, { kind: 'ok', server: '10.0.0.1', port: 143, user: 'alice@example.com', pass: 'tanstaaf' });
    const bare = await decider(ring)(req('cram-md5', 'alice', 'tanstaaf'));
    assert.deepEqual(bare.decision, { kind: 'ok', server: '10.0.0.1', port: 143, user: 'alice@example.com', pass: 'tanstaaf' });
  });

  test('a wrong digest, a mailbox without a credential and an unknown user get one answer, without Auth-Wait', async () => {
    const decide = decider(ring);
    const wrong = await decide(req('apop', 'alice@example.com', 'wrong'));
    const none = await decide(req('apop', 'bob@example.com', 'tanstaaf'));
    const unknown = await decide(req('apop', 'nobody@example.com', 'tanstaaf'));
    assert.equal(wrong.reason, 'bad-digest');
    assert.equal(none.reason, 'no-reversible-secret');
    assert.equal(unknown.reason, 'unknown-user');
    assert.deepEqual(wrong.decision, { kind: 'fail', temporary: false, message: REFUSALS.invalid.pop3, smtpCode: '535 5.7.8' });
    assert.deepEqual(none.decision, wrong.decision);
    assert.deepEqual(unknown.decision, wrong.decision);
    const imap = await decide(req('cram-md5', 'alice@example.com', 'wrong'));
    assert.deepEqual(imap.decision, { kind: 'fail', temporary: false, message: REFUSALS.invalid.imap, smtpCode: '535 5.7.8' });
    assert.equal((await decide(req('apop', 'alice@example.com', 'tanstaaf', { salt: '<1.2@other>' }))).reason, 'bad-digest', 'a digest is good for its salt only');
  });

  test('the admission checks of password logins apply after the digest', async () => {
    const decide = decider(ring);
    assert.equal((await decide(req('cram-md5', 'carol@example.com', 'tanstaaf'))).reason, 'disabled');
    assert.equal((await decide(req('apop', 'dave@example.com', 'tanstaaf'))).reason, 'protocol-denied');
    assert.equal((await decide(req('cram-md5', 'erin@example.com', 'tanstaaf'))).reason, 'network-denied');
    assert.equal((await decide(req('cram-md5', 'erin@example.com', 'tanstaaf', { clientIp: '198.51.100.7' }))).decision.kind, 'ok');
    assert.equal((await decide(req('cram-md5', 'carol@example.com', 'wrong'))).reason, 'bad-digest', 'nothing about the account before the digest');
  });

  test('a credential under a key that is not configured: temporary failure naming the key id, no Auth-Pass', async () => {
    const other = testKeyring([['k2', 'active']], keys);
    const out = await decider(other)(req('apop', 'alice@example.com', 'tanstaaf'));
    assert.equal(out.reason, 'secret-undecryptable');
    assert.equal(out.keyId, 'k1');
    assert.match(out.problem ?? '', /key k1 is not configured/);
    assert.deepEqual(out.decision, { kind: 'fail', temporary: true, message: REFUSALS.temporary.pop3, smtpCode: REFUSALS.temporary.smtpCode });
    // k1 back as decrypt-only: it works again.
    const both = testKeyring([['k2', 'active'], ['k1', 'decrypt-only']], keys);
    assert.equal((await decider(both)(req('apop', 'alice@example.com', 'tanstaaf'))).decision.kind, 'ok');
  });

  test('a ciphertext copied from one mailbox row to another fails to decrypt', async () => {
    const alice = (await t.dir.getMailbox('alice@example.com'))!;
    await t.dir.setReversibleSecret('frank@example.com', alice.reversibleSecret);
    const out = await decider(ring)(req('apop', 'frank@example.com', 'tanstaaf'));
    assert.equal(out.reason, 'secret-undecryptable');
    assert.equal(out.keyId, 'k1');
    assert.match(out.problem ?? '', /copied from another record/);
    assert.equal(out.decision.kind, 'fail');
    assert.ok(!('pass' in out.decision));
  });

  test('a credential nginx could not pass on is a temporary failure, not sent', async () => {
    const out = await decider(ring)(req('apop', 'spacey@example.com', ' tanstaaf'));
    assert.equal(out.reason, 'secret-unsendable');
    assert.equal(out.decision.kind === 'fail' && out.decision.temporary, true);
  });

  test('without Auth-Salt: temporary failure (not nginx)', async () => {
    const r = req('apop', 'alice@example.com', 'tanstaaf');
    delete r.salt;
    assert.equal((await decider(ring)(r)).reason, 'bad-request');
  });

  test('with the vault off, both methods are still refused as unsupported', async () => {
    const out = await decider(null)(req('cram-md5', 'alice@example.com', 'tanstaaf'));
    assert.equal(out.reason, 'method-unsupported');
    assert.deepEqual(out.decision, { kind: 'fail', temporary: false, message: REFUSALS.method.imap, smtpCode: '504 5.5.4' });
  });

  test('a protected account refuses even the right digest, like a wrong one', async () => {
    const decide = createDecider({
      directory: t.dir,
      resolver: createResolver({ ttlSeconds: 60 }),
      passwords: { verify: verifyPassword, dummyVerify },
      settings: { failureWaitSeconds: 2, maxAttempts: 10, defaultDomain: '', recipientDelimiter: '+' },
      keyring: ring,
      admitsAccount: async () => false,
    });
    const out = await decide(req('apop', 'alice@example.com', 'tanstaaf'));
    assert.equal(out.reason, 'account-protected');
    assert.deepEqual(out.decision, { kind: 'fail', temporary: false, message: REFUSALS.invalid.pop3, smtpCode: '535 5.7.8' });
  });
});
