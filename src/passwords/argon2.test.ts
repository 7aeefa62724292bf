// hashPassword, needsUpgrade and dummyVerify; Dovecot must accept the hashes we make.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { doveVerifies, dovePw, PASSWORDS } from './doveadm-fixture.js';
import { DEFAULT_ARGON2, dummyVerify, hashPassword, needsUpgrade, schemeOf, verifyPassword, type Argon2Params } from './index.js';

const FAST: Argon2Params = { memoryKiB: 1024, iterations: 1, parallelism: 1 };
const SHAPE = /^\{ARGON2ID\}\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

test('DEFAULT_ARGON2 is the OWASP minimum', () => {
  assert.deepEqual({ ...DEFAULT_ARGON2 }, { memoryKiB: 19456, iterations: 2, parallelism: 1 });
});

test('hashPassword makes Dovecot-format argon2id hashes that verify here and in doveadm', async () => {
  for (const pw of PASSWORDS) {
    const stored = await hashPassword(Buffer.from(pw));
    const m = SHAPE.exec(stored);
    assert.ok(m, stored);
    assert.deepEqual(m.slice(1), ['19456', '2', '1']);
    assert.equal(schemeOf(stored), 'ARGON2ID');
    assert.equal(await verifyPassword(stored, Buffer.from(pw)), true);
    assert.equal(await verifyPassword(stored, Buffer.from(pw + '!')), false);
    assert.equal(await verifyPassword(stored, Buffer.alloc(0)), false);
    assert.ok(doveVerifies(stored, pw), `doveadm pw -t rejects ${stored}`);
    assert.equal(doveVerifies(stored, pw + '!'), false);
  }
});

test('hashPassword takes strings as UTF-8, honours params (Dovecot accepts p=2), salts every hash', async () => {
  const a = await hashPassword('pässwörd ✓', FAST);
  assert.equal(await verifyPassword(a, Buffer.from('pässwörd ✓', 'utf8')), true);
  assert.notEqual(await hashPassword('pässwörd ✓', FAST), a);
  const p2 = await hashPassword('hunter2', { memoryKiB: 4096, iterations: 3, parallelism: 2 });
  assert.deepEqual(SHAPE.exec(p2)?.slice(1), ['4096', '3', '2']);
  assert.ok(doveVerifies(p2, 'hunter2'));
});

test('hashPassword refuses bad params and NUL bytes', async () => {
  await assert.rejects(hashPassword('x', { memoryKiB: 4, iterations: 1, parallelism: 1 }), RangeError);
  await assert.rejects(hashPassword('x', { memoryKiB: 1024, iterations: 0, parallelism: 1 }), RangeError);
  await assert.rejects(hashPassword('x', { memoryKiB: 1024, iterations: 1, parallelism: 0 }), RangeError);
  await assert.rejects(hashPassword('x', { memoryKiB: 1024.5, iterations: 1, parallelism: 1 }), RangeError);
  await assert.rejects(hashPassword(Buffer.from('a\0b'), FAST), RangeError);
});

test('needsUpgrade: everything but argon2id, and argon2id below the wanted memory or iterations', async () => {
  const ours = await hashPassword('x', DEFAULT_ARGON2);
  assert.equal(needsUpgrade(ours), false);
  assert.equal(needsUpgrade(ours, DEFAULT_ARGON2), false);
  assert.equal(needsUpgrade(ours, { ...DEFAULT_ARGON2, memoryKiB: 65536 }), true);
  assert.equal(needsUpgrade(ours, { ...DEFAULT_ARGON2, iterations: 3 }), true);
  // More lanes do not make a guess dearer: parallelism is not compared.
  assert.equal(needsUpgrade(ours, { ...DEFAULT_ARGON2, parallelism: 4 }), false);
  assert.equal(needsUpgrade(await hashPassword('x', FAST)), true);
  // Dovecot's own default (m=65536, t=3) is stronger than ours, also bare or lower-case.
  const dove = dovePw('ARGON2ID', 'x');
  assert.equal(needsUpgrade(dove), false);
  assert.equal(needsUpgrade(dove.replace('{ARGON2ID}', '')), false);
  assert.equal(needsUpgrade(dove.replace('{ARGON2ID}', '{argon2id}')), false);
  for (const scheme of ['ARGON2I', 'BLF-CRYPT', 'SHA512-CRYPT', 'SSHA512', 'PBKDF2', 'PLAIN', 'MD5-CRYPT']) {
    assert.equal(needsUpgrade(dovePw(scheme, 'x')), true, scheme);
  }
  for (const s of ['{NOPE}x', '', '{ARGON2ID}garbage', '$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA']) {
    assert.equal(needsUpgrade(s), true, s);
  }
});

test('dummyVerify resolves false for any password, at the default and at other params', async () => {
  for (const pw of [Buffer.from('hunter2'), Buffer.alloc(0), Buffer.from([0xff, 0, 0xfe])]) {
    assert.equal(await dummyVerify(pw), false);
  }
  assert.equal(await dummyVerify(Buffer.from('x'), FAST), false);
  assert.equal(await dummyVerify(Buffer.from('x'), { memoryKiB: 1, iterations: 0, parallelism: 0 }), false);
});

test('dummyVerify costs about what a real check of a default hash costs', async (t) => {
  const stored = await hashPassword('right');
  const real: number[] = [];
  const dummy: number[] = [];
  const clock = async (into: number[], f: () => Promise<unknown>): Promise<void> => {
    const start = performance.now();
    await f();
    into.push(performance.now() - start);
  };
  // Interleaved, so that load from other test files hits both alike.
  for (let i = 0; i < 11; i++) {
    await clock(real, () => verifyPassword(stored, Buffer.from('wrong')));
    await clock(dummy, () => dummyVerify(Buffer.from('wrong')));
  }
  const median = (xs: number[]): number => xs.sort((x, y) => x - y)[5] ?? 0;
  const [r, d] = [median(real), median(dummy)];
  t.diagnostic(`median: real ${r.toFixed(1)} ms, dummy ${d.toFixed(1)} ms`);
  assert.ok(d > r / 3 && d < r * 3, `real ${r} ms vs dummy ${d} ms`);
});
