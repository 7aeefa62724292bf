/**
 * Logins with app passwords through the real decision engine, a real SQLite directory and the
 * auth cache: in scope, out of scope (protocol, network), expired, revoked, never cached, the
 * mailbox's own rules on top, a real password of the app-password shape, an unknown app password
 * falling through to the password, account protection, and the defence counting refusals.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateAppPassword } from '../app-passwords/index.js';
import type { AuthRequest } from '../authhttp/types.js';
import { createCredentialCache, type CacheEntry } from '../cache/credential-cache.js';
import { createMemoryStore } from '../cache/expiring-store.js';
import { createDefence } from '../defence/defence.js';
import { testDefenceSettings } from '../defence/test-support.js';
import { defended } from '../defence/defended.js';
import { createMemoryCounters } from '../defence/memory-counters.js';
import type { DirectoryReader } from '../directory/types.js';
import { createResolver } from '../dns/resolver.js';
import { createLogger } from '../log/logger.js';
import { dummyVerify, hashPassword, verifyPassword } from '../passwords/index.js';
import { manualClock, openTempDirectory, type TempDirectory } from '../store/test-support.js';
import { createDecider, type DeciderDeps, type Decider, type PasswordVerifier } from './decide.js';
import { REFUSALS } from './outcome.js';

const FAST = { memoryKiB: 1024, iterations: 1, parallelism: 1 };
const hashes = { verify: 0, dummy: 0 };
const counting: PasswordVerifier = {
  verify: (s, p) => (hashes.verify++, verifyPassword(s, p)),
  dummyVerify: (p) => (hashes.dummy++, dummyVerify(p, FAST)),
};
/** A real password that happens to have the app-password shape. */
const SHAPED = 'abcd-efgh-jkmn-pqrs';

let t: TempDirectory;
let time: ReturnType<typeof manualClock>;
let decide: Decider;
const pw: Record<string, string> = {};
const ids: Record<string, number> = {};

function req(user: string, pass: string, over: Partial<AuthRequest> = {}): AuthRequest {
  return { method: 'plain', protocol: 'imap', attempt: 1, clientIp: '192.0.2.10', user: Buffer.from(user), pass: Buffer.from(pass), ...over };
}

function decider(over: Partial<DeciderDeps> = {}): Decider {
  return createDecider({
    directory: t.dir,
    resolver: createResolver({ ttlSeconds: 60 }),
    passwords: counting,
    settings: { failureWaitSeconds: 2, maxAttempts: 10, defaultDomain: '', recipientDelimiter: '+' },
    cache: createCredentialCache(createMemoryStore<CacheEntry>({ maxEntries: 1000 }), { ttlSeconds: 3600, negativeTtlSeconds: 300, staleSeconds: 3600 }),
    now: time.clock,
    ...over,
  });
}

async function add(name: string, mailbox: string, over: { protocols?: string[]; networks?: string[]; expiresAt?: string | null } = {}): Promise<void> {
  const { password, hash } = generateAppPassword();
  pw[name] = password;
  ids[name] = (await t.dir.addAppPassword({ mailbox, label: name, hash, ...over })).id;
}

before(async () => {
  time = manualClock('2030-06-01T12:00:00.000Z');
  t = await openTempDirectory({ clock: time.clock });
  const d = t.dir;
  await d.addDomain('example.com');
  await d.addBackend({ name: 'b1', host: '127.0.0.1', ports: { imap: 143, pop3: 110, smtp: 587 } });
  await d.setRoute('default', null, 'b1');
  await d.addMailbox({ address: 'alice@example.com', passwordHash: await hashPassword('alice pw', FAST) });
  await d.addMailbox({ address: 'carol@example.com', passwordHash: await hashPassword(SHAPED, FAST) });
  await d.addMailbox({ address: 'nopw@example.com', passwordHash: null });
  await d.addMailbox({ address: 'off@example.com', passwordHash: null, enabled: false });
  await d.addMailbox({ address: 'office@example.com', passwordHash: null, networks: ['198.51.100.0/24'] });
  await d.addAlias('info@example.com', 'alice@example.com');
  await add('phone', 'alice@example.com', { protocols: ['imap', 'smtp'] });
  await add('lan only', 'alice@example.com', { networks: ['192.0.2.0/24'] });
  await add('until july', 'alice@example.com', { expiresAt: '2030-07-01T00:00:00.000Z' });
  await add('old tablet', 'alice@example.com');
  await t.dir.revokeAppPassword(ids['old tablet']!);
  await add('only way in', 'nopw@example.com');
  await add('disabled box', 'off@example.com');
  await add('office box', 'office@example.com');
  decide = decider();
});

after(async () => t.cleanup());

beforeEach(() => {
  hashes.verify = 0;
  hashes.dummy = 0;
  time.set('2030-06-01T12:00:00.000Z');
});

describe('app passwords at the auth endpoint', () => {
  test('in scope: admitted like a password, with the label and id for the log, and no hash verified', async () => {
    const out = await decide(req('alice@example.com', pw.phone!));
    assert.equal(out.decision.kind, 'ok');
    assert.equal(out.reason, 'ok');
    assert.equal(out.mailbox, 'alice@example.com');
    assert.equal(out.backend, 'b1');
    assert.equal(out.appPassword, 'phone');
    assert.equal(out.appPasswordId, ids.phone);
    assert.equal(out.verified, undefined, 'nothing to upgrade');
    assert.equal(out.cache, undefined);
    assert.deepEqual(hashes, { verify: 0, dummy: 0 });
    const smtp = await decide(req('alice@example.com', pw.phone!.toUpperCase().replace(/-/g, ''), { protocol: 'smtp' }));
    assert.equal(smtp.decision.kind, 'ok', 'typed in capitals without dashes');
  });

  test('through an alias: the backend is told the canonical address', async () => {
    const out = await decide(req('info@example.com', pw.phone!));
    assert.equal(out.decision.kind, 'ok');
    assert.equal(out.decision.kind === 'ok' && out.decision.user, 'alice@example.com');
  });

  test('outside its protocols, networks or expiry, or revoked: the answer a wrong password gets, at its cost', async () => {
    const wrong = await decide(req('alice@example.com', 'not it'));
    assert.equal(wrong.reason, 'bad-credentials');
    const cases: Array<[string, AuthRequest, string]> = [
      ['phone', req('alice@example.com', pw.phone!, { protocol: 'pop3' }), 'app-password-out-of-scope'],
      ['lan only', req('alice@example.com', pw['lan only']!, { clientIp: '203.0.113.9' }), 'app-password-out-of-scope'],
      ['old tablet', req('alice@example.com', pw['old tablet']!), 'app-password-revoked'],
    ];
    for (const [label, r, reason] of cases) {
      hashes.dummy = 0;
      const out = await decide(r);
      assert.equal(out.reason, reason, label);
      assert.equal(out.appPassword, label);
      assert.equal(out.appPasswordId, undefined);
      assert.equal(out.mailbox, 'alice@example.com');
      const like = r.protocol === 'pop3' ? await decide(req('alice@example.com', 'not it', { protocol: 'pop3' })) : wrong;
      assert.deepEqual(out.decision, like.decision, `${label}: same client answer as a wrong password`);
      assert.equal(hashes.dummy, 1, `${label}: costs a verification`);
    }
    assert.equal((await decide(req('alice@example.com', pw['lan only']!, { clientIp: '192.0.2.200' }))).decision.kind, 'ok');
  });

  test('expires at its expiry time', async () => {
    time.set('2030-06-30T23:59:59.999Z');
    assert.equal((await decide(req('alice@example.com', pw['until july']!))).decision.kind, 'ok');
    time.set('2030-07-01T00:00:00.000Z');
    const out = await decide(req('alice@example.com', pw['until july']!));
    assert.equal(out.reason, 'app-password-expired');
    assert.deepEqual(out.decision, { kind: 'fail', temporary: false, message: REFUSALS.invalid.imap, smtpCode: REFUSALS.invalid.smtpCode, wait: 2 });
  });

  test("the mailbox's own rules still apply on top", async () => {
    assert.equal((await decide(req('off@example.com', pw['disabled box']!))).reason, 'disabled');
    assert.equal((await decide(req('office@example.com', pw['office box']!))).reason, 'network-denied');
    assert.equal((await decide(req('office@example.com', pw['office box']!, { clientIp: '198.51.100.4' }))).decision.kind, 'ok');
  });

  test('a mailbox without a password of its own can log in with an app password only', async () => {
    assert.equal((await decide(req('nopw@example.com', pw['only way in']!))).decision.kind, 'ok');
    assert.equal((await decide(req('nopw@example.com', 'anything'))).reason, 'no-password');
  });

  test("a real password of the app-password shape still works, and a stranger's app password is just a wrong password", async () => {
    const carol = await decide(req('carol@example.com', SHAPED));
    assert.equal(carol.decision.kind, 'ok');
    assert.equal(carol.appPassword, undefined);
    assert.ok(carol.verified, 'verified as the password (so it may be upgraded)');
    const borrowed = await decide(req('carol@example.com', pw.phone!));
    assert.equal(borrowed.reason, 'bad-credentials', "alice's app password is no password of carol's");
    assert.equal(borrowed.appPassword, undefined);
  });

  test('an unknown app password falls through to the password and fails as bad-credentials after a real verification', async () => {
    const out = await decide(req('alice@example.com', generateAppPassword().password));
    assert.equal(out.reason, 'bad-credentials');
    assert.equal(out.appPassword, undefined);
    assert.equal(hashes.verify, 1);
  });

  test('never served by or stored in the auth cache: a revocation applies to the very next login', async () => {
    await add('cached?', 'alice@example.com');
    const d = decider();
    for (let i = 0; i < 3; i++) assert.equal((await d(req('alice@example.com', pw['cached?']!))).cache, undefined);
    assert.equal(hashes.verify, 0);
    await t.dir.revokeAppPassword(ids['cached?']!);
    assert.equal((await d(req('alice@example.com', pw['cached?']!))).reason, 'app-password-revoked');
  });

  test('not answered from the stale cache while the directory is down (the cache knows nothing of its scope)', async () => {
    let down = false;
    const flaky: DirectoryReader = {
      ...t.dir,
      findLogin: async (a) => {
        if (down) throw new Error('database is locked');
        return t.dir.findLogin(a);
      },
    };
    const d = decider({ directory: flaky });
    assert.equal((await d(req('alice@example.com', 'alice pw'))).decision.kind, 'ok');
    assert.equal((await d(req('alice@example.com', pw.phone!))).decision.kind, 'ok');
    down = true;
    assert.equal((await d(req('alice@example.com', 'alice pw'))).reason, 'ok-stale-cache', 'the password, verified before, is answered');
    await assert.rejects(d(req('alice@example.com', pw.phone!)), /database is locked/);
  });

  test("the account protection (against guessing the person's password) does not lock out app passwords", async () => {
    const d = decider({ admitsAccount: async () => false });
    assert.equal((await d(req('alice@example.com', 'alice pw'))).reason, 'account-protected');
    assert.equal((await d(req('alice@example.com', pw.phone!))).decision.kind, 'ok');
    assert.equal((await d(req('alice@example.com', pw['old tablet']!))).reason, 'app-password-revoked');
  });

  test('the defence counts a refused app password as a failure, like a wrong password', async () => {
    const defence = createDefence(
      testDefenceSettings({ ipLimit: 3, unknownUsersLimit: 10, accountLimit: 50, ownerMemorySeconds: 86400 }),
      { bans: t.dir, counters: createMemoryCounters({ maxKeys: 1000, maxMembers: 100 }), log: createLogger('silent') },
    );
    const guarded = defended(decider(), defence, { log: createLogger('silent'), record: true });
    const ip = '203.0.113.50';
    const waits: Array<number | undefined> = [];
    for (const r of [req('alice@example.com', pw.phone!, { protocol: 'pop3', clientIp: ip }), req('alice@example.com', pw['old tablet']!, { clientIp: ip })]) {
      const d = (await guarded(r)).decision;
      waits.push(d.kind === 'fail' ? d.wait : undefined);
    }
    assert.deepEqual(waits, [2, 4], 'the delay grows as after wrong passwords');
    assert.equal((await guarded(req('alice@example.com', 'a wrong one', { clientIp: ip }))).reason, 'bad-credentials');
    const banned = await guarded(req('alice@example.com', pw.phone!, { clientIp: ip }));
    assert.equal(banned.reason, 'banned', 'three failures from one IP ban it, app passwords included');
    await t.dir.liftBans(ip);
  });
});
