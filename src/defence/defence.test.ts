/**
 * The defence around the real decision engine and a real SQLite directory (bans included),
 * with one clock driving both the bans and the counters.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthRequest } from '../authhttp/types.js';
import { createDecider, type Decider } from '../decision/decide.js';
import { REFUSALS } from '../decision/outcome.js';
import { createResolver } from '../dns/resolver.js';
import { createLogger } from '../log/logger.js';
import { parseNetworks } from '../net/cidr.js';
import { dummyVerify, verifyPassword } from '../passwords/index.js';
import { manualClock, openTempDirectory, type TempDirectory } from '../store/test-support.js';
import { createDefence, type DefenceSettings } from './defence.js';
import { testDefenceSettings } from './test-support.js';
import { defended } from './defended.js';
import { createMemoryCounters } from './memory-counters.js';
import { testKeyring } from '../vault/test-support.js';

const SETTINGS: DefenceSettings = testDefenceSettings({ trustedNetworks: parseNetworks(['203.0.113.0/24']) });

let tmp: TempDirectory;
let time: ReturnType<typeof manualClock>;
let decide: Decider;

function req(user: string, pass: string, clientIp: string, over: Partial<AuthRequest> = {}): AuthRequest {
  return { method: 'plain', protocol: 'imap', attempt: 1, clientIp, user: Buffer.from(user), pass: Buffer.from(pass), ...over };
}

const waitOf = async (r: AuthRequest): Promise<number | undefined> => {
  const d = (await decide(r)).decision;
  return d.kind === 'fail' ? d.wait : undefined;
};

before(async () => {
  time = manualClock();
  tmp = await openTempDirectory({ clock: time.clock });
  const dir = tmp.dir;
  await dir.addDomain('example.com');
  await dir.addBackend({ name: 'b1', host: '127.0.0.1', ports: { imap: 143, smtp: 25 } });
  await dir.setRoute('default', null, 'b1');
  for (const user of ['alice', 'bob', 'carol', 'dave']) await dir.addMailbox({ address: `${user}@example.com`, passwordHash: `{PLAIN}${user}-pw` });
});

beforeEach(() => {
  time.advance(86400); // every test starts long after the previous one's windows
  const now = () => time.clock().getTime();
  const defence = createDefence(SETTINGS, { bans: tmp.dir, counters: createMemoryCounters({ maxKeys: 10_000, maxMembers: 1000, now }), log: createLogger('silent') });
  const engine = createDecider({
    directory: tmp.dir,
    resolver: createResolver({ ttlSeconds: 60 }),
    passwords: { verify: verifyPassword, dummyVerify: (p) => dummyVerify(p, { memoryKiB: 1024, iterations: 1, parallelism: 1 }) },
    settings: { failureWaitSeconds: 2, maxAttempts: 10, defaultDomain: '', recipientDelimiter: '+' },
    admitsAccount: (m, r) => defence.admitsAccount(m, r),
    keyring: testKeyring([['k1', 'active']]),
  });
  decide = defended(engine, defence, { log: createLogger('silent'), record: true });
});

after(() => tmp.cleanup());

describe('failure delay', () => {
  test('Auth-Wait doubles per distinct failure from one IP up to the cap, and calms down after a quiet minute', async () => {
    const waits = [];
    for (let i = 0; i < 6; i++) waits.push(await waitOf(req('alice@example.com', `guess ${i}`, '198.51.100.1')));
    assert.deepEqual(waits, [2, 4, 8, 15, 15, 15]);
    time.advance(61);
    assert.equal(await waitOf(req('alice@example.com', 'guess 7', '198.51.100.1')), 2);
  });

  test('a neighbour in the same /24 inherits part of the delay; a client retrying one stale password does not grow it', async () => {
    for (let i = 0; i < 8; i++) await waitOf(req('bob@example.com', `g${i}`, '198.51.100.20'));
    assert.equal(await waitOf(req('bob@example.com', 'x', '198.51.100.21')), 4, '9 subnet failures × 1/4 → level 2');
    const stale = [];
    for (let i = 0; i < 6; i++) stale.push(await waitOf(req('carol@example.com', 'old password', '192.0.2.50')));
    assert.deepEqual(stale, [2, 2, 2, 2, 2, 2]);
  });

  test('past the attempt cap no Auth-Wait is sent, whatever the penalty', async () => {
    assert.equal(await waitOf(req('alice@example.com', 'a', '192.0.2.60', { attempt: 10 })), undefined);
  });
});

describe('bans', () => {
  test('an IP is banned after ip_limit distinct failures, also for the right password; a stale-password client never is', async () => {
    for (let i = 0; i < 30; i++) await decide(req('alice@example.com', 'stale', '192.0.2.10'));
    assert.equal((await decide(req('alice@example.com', 'alice-pw', '192.0.2.10'))).reason, 'ok', '30 tries of one stale password: not banned');
    for (let i = 0; i < 8; i++) await decide(req('alice@example.com', `guess ${i}`, '192.0.2.11'));
    const banned = await decide(req('alice@example.com', 'alice-pw', '192.0.2.11'));
    assert.equal(banned.reason, 'banned');
    assert.deepEqual(banned.decision, { kind: 'fail', temporary: true, message: REFUSALS.banned.imap, smtpCode: '454 4.7.0' });
    const [ban] = await tmp.dir.activeBans({ ip: '192.0.2.11' });
    assert.deepEqual([ban?.kind, ban?.subject, ban?.reason], ['ip', '192.0.2.11', '8 failed logins']);
    assert.equal(await tmp.dir.liftBans('192.0.2.11'), 1);
    assert.equal((await decide(req('alice@example.com', 'alice-pw', '192.0.2.11'))).reason, 'ok', 'lifted');
    assert.equal((await decide(req('alice@example.com', 'one more', '192.0.2.11'))).reason, 'bad-credentials', 'and counting starts again from zero');
    time.advance(3601);
  });

  test('wrong APOP/CRAM-MD5 digests count like wrong passwords, and never get an Auth-Wait', async () => {
    const salt = '<1.2@mail.test>';
    for (let i = 0; i < 8; i++) {
      const out = await decide(req('alice@example.com', `${i}`.padStart(32, 'f'), '192.0.2.30', { method: i % 2 ? 'apop' : 'cram-md5', salt }));
      assert.ok(['bad-digest', 'no-reversible-secret'].includes(out.reason), out.reason);
      assert.equal(out.decision.kind === 'fail' && out.decision.wait, undefined, 'no retry for these methods');
    }
    assert.equal((await decide(req('alice@example.com', 'alice-pw', '192.0.2.30'))).reason, 'banned');
    time.advance(3601);
  });

  test('enumerating unknown users bans the subnet; trusted networks are never delayed or banned', async () => {
    for (let i = 0; i < 4; i++) await decide(req(`nobody${i}@example.com`, 'x', `198.18.0.${i + 1}`));
    assert.equal((await decide(req('dave@example.com', 'dave-pw', '198.18.0.200'))).reason, 'banned');
    assert.equal((await tmp.dir.activeBans({ subnet: '198.18.0.0/24' }))[0]?.reason, '4 unknown user names tried');
    for (let i = 0; i < 40; i++) {
      const out = await decide(req(`nobody${i}@example.com`, `x${i}`, '203.0.113.9'));
      assert.equal(out.decision.kind === 'fail' && out.decision.wait, 2, 'trusted: the base delay only');
    }
    assert.equal((await decide(req('dave@example.com', 'dave-pw', '203.0.113.9'))).reason, 'ok');
    time.advance(3601);
  });

  test('an attack on one account from elsewhere protects it without locking its owner out', async () => {
    assert.equal((await decide(req('carol@example.com', 'carol-pw', '192.0.2.77'))).reason, 'ok', 'the owner logs in from home');
    // An attacker spread over many networks (no IP or subnet limit is reached).
    for (let i = 0; i < 5; i++) await decide(req('carol@example.com', `guess ${i}`, `10.${i}.0.1`));
    const [protection] = await tmp.dir.activeBans({ account: 'carol@example.com' });
    assert.equal(protection?.reason, '5 different wrong passwords');
    const attacker = await decide(req('carol@example.com', 'carol-pw', '10.99.0.1'));
    assert.equal(attacker.reason, 'account-protected', 'even the right password from elsewhere');
    const wrong = await decide(req('carol@example.com', 'nope', '10.98.0.1'));
    assert.deepEqual(attacker.decision, { ...wrong.decision, wait: attacker.decision.kind === 'fail' ? attacker.decision.wait : 0 }, 'indistinguishable from a wrong password');
    assert.equal((await decide(req('carol@example.com', 'carol-pw', '192.0.2.99'))).reason, 'ok', "the owner's network (/24) still works");
    assert.equal((await decide(req('carol@example.com', 'carol-pw', '203.0.113.50'))).reason, 'ok', 'so does a trusted network');
  });

  test('AUTH on the inbound-mail listener is refused and counted', async () => {
    const out = await decide(req('alice@example.com', 'alice-pw', '192.0.2.200', { protocol: 'smtp', mxOnly: true }));
    assert.equal(out.reason, 'mx-auth-refused');
    assert.deepEqual(out.decision, { kind: 'fail', temporary: false, message: 'Authentication not available on this port', smtpCode: '502 5.5.1', wait: 2 });
    for (let i = 0; i < 7; i++) await decide(req('alice@example.com', `p${i}`, '192.0.2.200', { protocol: 'smtp', mxOnly: true }));
    assert.equal((await decide(req('alice@example.com', 'alice-pw', '192.0.2.200'))).reason, 'banned');
  });
});
