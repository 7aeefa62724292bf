/**
 * The decision engine against a real SQLite directory in a temporary folder. DNS is the one
 * edge replaced (a fixed lookup table), so host-name routing can be tested without a resolver.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthRequest } from '../authhttp/types.js';
import type { Directory } from '../directory/types.js';
import { createResolver } from '../dns/resolver.js';
import { dummyVerify, hashPassword, verifyPassword } from '../passwords/index.js';
import { openDirectory } from '../store/index.js';
import { createDecider, type Decider } from './decide.js';
import { REFUSALS } from './outcome.js';

const FAST = { memoryKiB: 1024, iterations: 1, parallelism: 1 };
let dir: Directory;
let folder: string;
let decide: Decider;

function req(over: Omit<Partial<AuthRequest>, 'user' | 'pass'> & { user?: string | Buffer; pass?: string | Buffer } = {}): AuthRequest {
  const { user = 'alice@example.com', pass = 'alice pw', ...rest } = over;
  return {
    method: 'plain',
    protocol: 'imap',
    attempt: 1,
    clientIp: '192.0.2.10',
    ...rest,
    user: Buffer.isBuffer(user) ? user : Buffer.from(user, 'utf8'),
    pass: Buffer.isBuffer(pass) ? pass : Buffer.from(pass, 'utf8'),
  };
}

before(async () => {
  folder = mkdtempSync(join(tmpdir(), 'postern-decide-'));
  dir = await openDirectory({ kind: 'sqlite', path: join(folder, 'postern.db') });
  await dir.addDomain('example.com');
  await dir.addDomain('other.org');
  await dir.addDomainAlias('example.net', 'example.com');
  await dir.addBackend({ name: 'b1', host: '10.0.0.1', ports: { imap: 143, pop3: 110, smtp: 587, mx: 25 } });
  await dir.addBackend({ name: 'b2', host: 'mail2.internal', ports: { imap: 1143, smtp: 2525 } });
  await dir.addBackend({ name: 'legacy', host: '10.9.9.9', ports: { imap: 143, pop3: 110, smtp: 25 } });
  await dir.addBackend({ name: 'broken', host: 'nowhere.invalid', ports: { imap: 143 } });
  const pw = (p: string) => hashPassword(p, FAST);
  await dir.addMailbox({ address: 'alice@example.com', passwordHash: await pw('alice pw') });
  await dir.addMailbox({ address: 'bob@example.com', passwordHash: await pw('bob pw'), protocols: ['imap'] });
  await dir.addMailbox({ address: 'carol@example.com', passwordHash: await pw('carol pw'), enabled: false });
  await dir.addMailbox({ address: 'dave@example.com', passwordHash: await pw('dave pw'), networks: ['198.51.100.0/24', '2001:db8::/32'] });
  await dir.addMailbox({ address: 'erin@other.org', passwordHash: await pw('erin pw') });
  await dir.addMailbox({ address: 'frank@other.org', passwordHash: await pw('frank pw') });
  await dir.addMailbox({ address: 'zoë.o\'k%1@example.com', passwordHash: await pw('pä ss%41 "w" \'x\' \\b') });
  await dir.addMailbox({ address: 'nopw@example.com', passwordHash: null });
  await dir.addAlias('info@example.com', 'alice@example.com');
  await dir.setRoute('default', null, 'b1');
  await dir.setRoute('domain', 'other.org', 'b2');
  await dir.setRoute('mailbox', 'frank@other.org', 'broken');
  await dir.addCertMapping('fingerprint', 'bcc970f51f139f02019b3dde8742df2c57716af6', 'alice@example.com');
  await dir.addCertMapping('subject', 'O=Example Org,CN=bob', 'bob@example.com');
  decide = createDecider({
    directory: dir,
    resolver: createResolver({
      ttlSeconds: 60,
      lookup: async (host) => {
        if (host === 'mail2.internal') return '10.0.0.2';
        throw new Error(`ENOTFOUND ${host}`);
      },
    }),
    passwords: { verify: verifyPassword, dummyVerify },
    settings: { failureWaitSeconds: 2, maxAttempts: 10, defaultDomain: 'example.com', recipientDelimiter: '+' },
  });
});

after(async () => {
  await dir.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('password logins', () => {
  test('a good password is routed by the default route to the protocol port', async () => {
    const out = await decide(req());
    assert.deepEqual(out.decision, { kind: 'ok', server: '10.0.0.1', port: 143 });
    assert.equal(out.reason, 'ok');
    assert.equal(out.mailbox, 'alice@example.com');
    assert.ok(out.verified, 'the caller is told which password was verified (for hash upgrades)');
    assert.deepEqual((await decide(req({ protocol: 'pop3' }))).decision, { kind: 'ok', server: '10.0.0.1', port: 110 });
    assert.deepEqual((await decide(req({ protocol: 'smtp' }))).decision, { kind: 'ok', server: '10.0.0.1', port: 587 });
  });

  test('login names are case-insensitive and a bare name gets the default domain', async () => {
    // The backend may be case-sensitive: it is told the canonical address whenever the client spelt it otherwise.
    assert.deepEqual((await decide(req({ user: 'Alice@EXAMPLE.com' }))).decision, { kind: 'ok', server: '10.0.0.1', port: 143, user: 'alice@example.com' });
    assert.deepEqual((await decide(req({ user: 'alice' }))).decision, { kind: 'ok', server: '10.0.0.1', port: 143, user: 'alice@example.com' });
  });

  test('an alias or a domain alias logs in as its mailbox, and the backend is told the canonical address', async () => {
    for (const user of ['info@example.com', 'alice@example.net', 'info@example.net']) {
      const out = await decide(req({ user }));
      assert.deepEqual(out.decision, { kind: 'ok', server: '10.0.0.1', port: 143, user: 'alice@example.com' }, user);
    }
  });

  test('UTF-8, spaces, percent signs and quotes in credentials are compared as bytes', async () => {
    const out = await decide(req({ user: 'zoë.o\'k%1@example.com', pass: 'pä ss%41 "w" \'x\' \\b' }));
    assert.equal(out.decision.kind, 'ok');
    assert.equal((await decide(req({ user: 'zoë.o\'k%1@example.com', pass: 'pä ssA "w" \'x\' \\b' }))).decision.kind, 'fail');
  });

  test('a wrong password and an unknown user get the identical answer', async () => {
    const wrong = await decide(req({ pass: 'nope' }));
    const unknown = await decide(req({ user: 'nobody@example.com', pass: 'nope' }));
    const noDomain = await decide(req({ user: 'someone@unserved.example', pass: 'nope' }));
    assert.equal(wrong.reason, 'bad-credentials');
    assert.equal(unknown.reason, 'unknown-user');
    assert.deepEqual(wrong.decision, { kind: 'fail', temporary: false, message: REFUSALS.invalid.imap, smtpCode: '535 5.7.8', wait: 2 });
    assert.deepEqual(unknown.decision, wrong.decision);
    assert.deepEqual(noDomain.decision, wrong.decision);
  });

  test('Auth-Wait stops at the attempt cap so nginx closes the connection', async () => {
    const ninth = await decide(req({ pass: 'nope', attempt: 9 }));
    const tenth = await decide(req({ pass: 'nope', attempt: 10 }));
    assert.equal(ninth.decision.kind === 'fail' && ninth.decision.wait, 2);
    assert.equal(tenth.decision.kind === 'fail' && tenth.decision.wait, undefined);
  });

  test('disabled accounts, protocols and networks are refused only after the password checks out', async () => {
    assert.equal((await decide(req({ user: 'carol@example.com', pass: 'carol pw' }))).reason, 'disabled');
    assert.equal((await decide(req({ user: 'carol@example.com', pass: 'bad' }))).reason, 'bad-credentials');
    const smtp = await decide(req({ user: 'bob@example.com', pass: 'bob pw', protocol: 'smtp' }));
    assert.equal(smtp.reason, 'protocol-denied');
    assert.equal(smtp.decision.kind === 'fail' && smtp.decision.smtpCode, '550 5.7.1');
    assert.equal((await decide(req({ user: 'bob@example.com', pass: 'bob pw' }))).decision.kind, 'ok');
    assert.equal((await decide(req({ user: 'dave@example.com', pass: 'dave pw' }))).reason, 'network-denied');
    assert.equal((await decide(req({ user: 'dave@example.com', pass: 'dave pw', clientIp: '198.51.100.7' }))).decision.kind, 'ok');
    assert.equal((await decide(req({ user: 'dave@example.com', pass: 'dave pw', clientIp: '2001:db8::5' }))).decision.kind, 'ok');
  });

  test('a mailbox without a password cannot log in', async () => {
    assert.equal((await decide(req({ user: 'nopw@example.com', pass: '' }))).reason, 'no-password');
  });

  test('domain routes beat the default and mailbox routes beat the domain; host names become IPs', async () => {
    assert.deepEqual((await decide(req({ user: 'erin@other.org', pass: 'erin pw' }))).decision, { kind: 'ok', server: '10.0.0.2', port: 1143 });
    const frank = await decide(req({ user: 'frank@other.org', pass: 'frank pw' }));
    assert.equal(frank.reason, 'dns-failure');
    assert.equal(frank.decision.kind === 'fail' && frank.decision.temporary, true);
    const pop = await decide(req({ user: 'erin@other.org', pass: 'erin pw', protocol: 'pop3' }));
    assert.equal(pop.reason, 'no-port');
    assert.deepEqual(pop.decision, { kind: 'fail', temporary: true, message: REFUSALS.temporary.pop3, smtpCode: '451 4.3.0' });
  });

  test('unknown users go to the legacy backend only when an unknown route exists', async () => {
    await dir.setRoute('unknown', 'other.org', 'legacy');
    try {
      const out = await decide(req({ user: 'newbie@other.org', pass: 'whatever' }));
      assert.deepEqual(out.decision, { kind: 'ok', server: '10.9.9.9', port: 143 });
      assert.equal(out.reason, 'ok-legacy-route');
      assert.equal((await decide(req({ user: 'newbie@example.com', pass: 'x' }))).reason, 'unknown-user');
    } finally {
      await dir.removeRoute('unknown', 'other.org');
    }
  });

  test('APOP and CRAM-MD5 get a clear refusal without a retry', async () => {
    const cram = await decide(req({ method: 'cram-md5', pass: 'a'.repeat(32), salt: '<1.2@mail.test>', protocol: 'smtp' }));
    assert.deepEqual(cram.decision, { kind: 'fail', temporary: false, message: REFUSALS.method.smtp, smtpCode: '504 5.5.4' });
    assert.equal((await decide(req({ method: 'apop', protocol: 'pop3' }))).reason, 'method-unsupported');
  });
});

describe('EXTERNAL', () => {
  const tls = { protocol: 'TLSv1.3', verify: 'SUCCESS', subject: 'O=Example Org,CN=client user', fingerprint: 'bcc970f51f139f02019b3dde8742df2c57716af6' };

  test('needs Auth-SSL on with a verified certificate', async () => {
    assert.equal((await decide(req({ method: 'external', user: '', pass: '' }))).reason, 'external-untrusted');
    const failed = await decide(req({ method: 'external', user: '', pass: '', tls: { ...tls, verify: 'FAILED:self-signed certificate' } }));
    assert.equal(failed.reason, 'external-untrusted');
  });

  test('maps the fingerprint or the subject to a mailbox and answers Auth-User and Auth-Pass', async () => {
    const out = await decide(req({ method: 'external', user: '', pass: '', tls }));
    assert.equal(out.decision.kind, 'ok');
    if (out.decision.kind !== 'ok') return;
    assert.equal(out.decision.user, 'alice@example.com');
    assert.ok(out.decision.pass && out.decision.pass.length >= 16, 'IMAP/POP3 need Auth-Pass after EXTERNAL');
    const bySubject = await decide(req({ method: 'external', user: '', pass: '', tls: { verify: 'SUCCESS', subject: 'O=Example Org,CN=bob' } }));
    assert.equal(bySubject.mailbox, 'bob@example.com');
    const smtp = await decide(req({ method: 'external', protocol: 'smtp', user: '', pass: '', tls: { verify: 'SUCCESS', subject: 'O=Example Org,CN=bob' } }));
    assert.equal(smtp.reason, 'protocol-denied', 'the mailbox rules still apply');
  });

  test('an authorization identity must be the certificate\'s own mailbox', async () => {
    assert.equal((await decide(req({ method: 'external', user: 'info@example.com', pass: '', tls }))).decision.kind, 'ok');
    assert.equal((await decide(req({ method: 'external', user: 'bob@example.com', pass: '', tls }))).reason, 'external-unmapped');
    const unmapped = await decide(req({ method: 'external', user: '', pass: '', tls: { verify: 'SUCCESS', subject: 'CN=stranger', fingerprint: '0'.repeat(40) } }));
    assert.equal(unmapped.reason, 'external-unmapped');
  });
});

describe('inbound mail (Auth-Method none)', () => {
  const mx = (to: string) => req({ method: 'none', protocol: 'smtp', user: 'stale', pass: 'stale', smtp: { helo: 'client.example', from: 'MAIL FROM:<a@example.org> SIZE=100', to } });

  test('a recipient in a served domain is routed to its mailbox backend on the MX port, with an empty Auth-User', async () => {
    const out = await decide(mx('RCPT TO:<alice@example.com>'));
    assert.deepEqual(out.decision, { kind: 'ok', server: '10.0.0.1', port: 25, user: '' });
    assert.equal(out.mailbox, 'alice@example.com');
    assert.equal((await decide(mx('rcpt TO:<Info@Example.NET> NOTIFY=NEVER'))).mailbox, 'alice@example.com');
    assert.equal((await decide(mx('RCPT TO:<alice+news@example.com>'))).mailbox, 'alice@example.com');
    assert.deepEqual((await decide(mx('RCPT TO:<erin@other.org>'))).decision, { kind: 'ok', server: '10.0.0.2', port: 2525, user: '' });
  });

  test('unknown recipients get 550 5.1.1 and foreign domains 554 5.7.1, with no Auth-Wait', async () => {
    assert.deepEqual((await decide(mx('RCPT TO:<nobody@example.com>'))).decision, { kind: 'fail', temporary: false, message: REFUSALS.recipient.smtp, smtpCode: '550 5.1.1' });
    const relay = await decide(mx('RCPT TO:<victim@example.net.evil>'));
    assert.deepEqual(relay.decision, { kind: 'fail', temporary: false, message: 'Relay access denied', smtpCode: '554 5.7.1' });
    assert.equal(relay.reason, 'mx-relay-denied');
    assert.equal((await decide(mx('RCPT TO:<>'))).reason, 'mx-bad-recipient');
  });

  test('unknown recipients of a migrating domain go to the legacy server', async () => {
    await dir.setRoute('unknown', null, 'legacy');
    try {
      assert.deepEqual((await decide(mx('RCPT TO:<old-user@example.com>'))).decision, { kind: 'ok', server: '10.9.9.9', port: 25, user: '' });
      assert.equal((await decide(mx('RCPT TO:<x@not-ours.example>'))).reason, 'mx-relay-denied', 'still no relaying for foreign domains');
    } finally {
      await dir.removeRoute('unknown', null);
    }
  });
});
