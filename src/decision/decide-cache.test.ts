/**
 * The decision engine with the auth cache and the hashing pool, against a real SQLite
 * directory: what is skipped on a cache hit, what invalidates it, answering while the
 * directory is down, overload, and the equal cost of "unknown user" and "wrong password".
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthRequest } from '../authhttp/types.js';
import { createCredentialCache, type CacheEntry } from '../cache/credential-cache.js';
import { createMemoryStore } from '../cache/expiring-store.js';
import type { Directory } from '../directory/types.js';
import { createResolver } from '../dns/resolver.js';
import { createHashPool, DEFAULT_ARGON2, dummyVerify, hashPassword, verifyPassword } from '../passwords/index.js';
import { openDirectory } from '../store/index.js';
import { createDecider, type Decider, type PasswordVerifier } from './decide.js';
import { REFUSALS } from './outcome.js';

let folder: string;
let dir: Directory;
const hashes = { verify: 0, dummy: 0 };
const counting: PasswordVerifier = {
  verify: (s, p) => (hashes.verify++, verifyPassword(s, p)),
  dummyVerify: (p) => (hashes.dummy++, dummyVerify(p)),
};

function decider(over: Partial<Parameters<typeof createDecider>[0]> = {}): Decider {
  return createDecider({
    directory: dir,
    resolver: createResolver({ ttlSeconds: 60 }),
    passwords: counting,
    settings: { failureWaitSeconds: 1, maxAttempts: 10, defaultDomain: '', recipientDelimiter: '+' },
    cache: createCredentialCache(createMemoryStore<CacheEntry>({ maxEntries: 1000 }), { ttlSeconds: 3600, negativeTtlSeconds: 300, staleSeconds: 3600 }),
    ...over,
  });
}

function req(user: string, pass: string, over: Partial<AuthRequest> = {}): AuthRequest {
  return { method: 'plain', protocol: 'imap', attempt: 1, clientIp: '192.0.2.1', user: Buffer.from(user), pass: Buffer.from(pass), ...over };
}

before(async () => {
  folder = mkdtempSync(join(tmpdir(), 'postern-decide-cache-'));
  dir = await openDirectory({ kind: 'sqlite', path: join(folder, 'd.db') });
  await dir.addDomain('example.com');
  await dir.addBackend({ name: 'b1', host: '127.0.0.1', ports: { imap: 143, smtp: 587 } });
  await dir.setRoute('default', null, 'b1');
  // Postern's default argon2id cost, as new passwords get it.
  await dir.addMailbox({ address: 'alice@example.com', passwordHash: await hashPassword('right') });
  await dir.addMailbox({ address: 'bob@example.com', passwordHash: await hashPassword('bob pw') });
  await dir.addMailbox({ address: 'broken@example.com', passwordHash: '{PLAIN}x' });
});

after(async () => {
  await dir.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('auth cache', () => {
  test('a second login with the same password skips hashing; state and route are still read fresh', async () => {
    const decide = decider();
    hashes.verify = 0;
    assert.equal((await decide(req('alice@example.com', 'right'))).decision.kind, 'ok');
    assert.equal(hashes.verify, 1);
    const trace: string[] = [];
    const again = await decide(req('alice@example.com', 'right', { protocol: 'smtp' }), trace);
    assert.deepEqual(again.decision, { kind: 'ok', server: '127.0.0.1', port: 587 });
    assert.equal(hashes.verify, 1, 'no second verification');
    assert.ok(trace.includes('password verified earlier (auth cache)'));
    assert.equal(again.verified, undefined, 'nothing to upgrade on a cache hit');
    await dir.changeMailbox('alice@example.com', { enabled: false });
    try {
      assert.equal((await decide(req('alice@example.com', 'right'))).reason, 'disabled', 'a state change applies at once');
    } finally {
      await dir.changeMailbox('alice@example.com', { enabled: true });
    }
    assert.equal(hashes.verify, 1);
  });

  test('a password change invalidates at once: the old password fails and the new one verifies', async () => {
    const decide = decider();
    assert.equal((await decide(req('bob@example.com', 'bob pw'))).decision.kind, 'ok');
    await dir.changeMailbox('bob@example.com', { passwordHash: await hashPassword('new pw') });
    hashes.verify = 0;
    assert.equal((await decide(req('bob@example.com', 'bob pw'))).reason, 'bad-credentials');
    assert.equal((await decide(req('bob@example.com', 'new pw'))).decision.kind, 'ok');
    assert.equal(hashes.verify, 2);
  });

  test('wrong passwords and unknown users are remembered: the same answer, no hashing', async () => {
    const decide = decider();
    const first = [await decide(req('alice@example.com', 'guess')), await decide(req('nobody@example.com', 'guess'))];
    hashes.verify = 0;
    hashes.dummy = 0;
    const second = [await decide(req('alice@example.com', 'guess')), await decide(req('nobody@example.com', 'guess'))];
    assert.deepEqual([hashes.verify, hashes.dummy], [0, 0]);
    assert.deepEqual(second.map((o) => o.reason), ['bad-credentials', 'unknown-user']);
    for (const o of [...first, ...second]) assert.deepEqual(o.decision, { kind: 'fail', temporary: false, message: REFUSALS.invalid.imap, smtpCode: '535 5.7.8', wait: 1 });
  });

  test('while the directory is unavailable, a recently verified login is answered from the cache; others fail closed', async () => {
    const side = await openDirectory({ kind: 'sqlite', path: join(folder, 'd.db') });
    const decide = decider({ directory: side });
    assert.equal((await decide(req('alice@example.com', 'right'))).decision.kind, 'ok');
    await side.close();
    const trace: string[] = [];
    const stale = await decide(req('ALICE@example.com', 'right'), trace);
    assert.deepEqual(stale.decision, { kind: 'ok', server: '127.0.0.1', port: 143, user: 'alice@example.com' });
    assert.equal(stale.reason, 'ok-stale-cache');
    assert.match(trace.join('\n'), /the directory failed/);
    await assert.rejects(decide(req('alice@example.com', 'wrong')), 'a password never verified gets no stale answer');
    await assert.rejects(decide(req('alice@example.com', 'right', { protocol: 'pop3' })), 'nor a protocol never routed');
    const fromElsewhere = await decide(req('alice@example.com', 'right', { clientIp: '198.51.100.1', protocol: 'imap' }));
    assert.equal(fromElsewhere.decision.kind, 'ok', 'no network rule: any client');
  });

  test('without stale_seconds the directory failure is a failure', async () => {
    const side = await openDirectory({ kind: 'sqlite', path: join(folder, 'd.db') });
    const decide = decider({
      directory: side,
      cache: createCredentialCache(createMemoryStore<CacheEntry>({ maxEntries: 10 }), { ttlSeconds: 60, negativeTtlSeconds: 60, staleSeconds: 0 }),
    });
    assert.equal((await decide(req('alice@example.com', 'right'))).decision.kind, 'ok');
    await side.close();
    await assert.rejects(decide(req('alice@example.com', 'right')));
  });
});

describe('hashing pool and broken hashes', () => {
  test('when the hashing queue is full, logins get a temporary failure at once', async () => {
    const pool = createHashPool({ concurrency: 1, maxQueue: 1 });
    const decide = decider({
      cache: undefined,
      passwords: { verify: (s, p) => pool.run(() => verifyPassword(s, p)), dummyVerify: (p) => pool.run(() => dummyVerify(p)) },
    });
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => decide(req('alice@example.com', 'right'))));
    const reasons = outcomes.map((o) => o.reason).sort();
    assert.deepEqual(reasons, ['ok', 'ok', 'overloaded', 'overloaded']);
    const over = outcomes.find((o) => o.reason === 'overloaded')!;
    assert.deepEqual(over.decision, { kind: 'fail', temporary: true, message: REFUSALS.temporary.imap, smtpCode: '451 4.3.0' });
  });

  test('a stored hash Postern cannot check is a temporary failure naming the cause in the trace', async () => {
    await dir.changeMailbox('broken@example.com', { passwordHash: '{PLAIN}x' });
    const decide = decider({ cache: undefined, passwords: { ...counting, verify: () => verifyPassword('{SHA512-CRYPT}garbage', Buffer.from('x')) } });
    const trace: string[] = [];
    const out = await decide(req('broken@example.com', 'x'), trace);
    assert.equal(out.reason, 'bad-hash');
    assert.equal(out.decision.kind === 'fail' && out.decision.temporary, true);
    assert.match(trace.join('\n'), /cannot be checked: malformed-hash/);
  });
});

test('an unknown user costs what a wrong password costs (one argon2id verification at the default cost)', async () => {
  const decide = decider({ cache: undefined });
  const time = async (user: string): Promise<number> => {
    const t0 = process.hrtime.bigint();
    await decide(req(user, 'not the password'));
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  await time('alice@example.com');
  await time('nobody@example.com');
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 12; i++) {
    known.push(await time('alice@example.com'));
    unknown.push(await time(`nobody${i}@example.com`));
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  const ratio = median(unknown) / median(known);
  assert.ok(ratio > 0.67 && ratio < 1.5, `unknown/known median time ratio ${ratio.toFixed(2)} (${median(unknown).toFixed(1)} ms vs ${median(known).toFixed(1)} ms)`);
  assert.equal(DEFAULT_ARGON2.memoryKiB, 19456, 'the dummy verification uses the same default cost as new hashes');
});
