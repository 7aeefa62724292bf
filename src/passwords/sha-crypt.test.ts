// Our SHA256-CRYPT / SHA512-CRYPT against Dovecot (libc crypt()) for many password lengths,
// salts and round counts, plus the cost and event-loop behaviour the comments promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { doveVerifies, dovePw } from './doveadm-fixture.js';
import { shaCrypt, type ShaCryptSpec } from './sha-crypt.js';

const spec = (bits: 256 | 512, salt: string, rounds = 5000, roundsCustom = false): ShaCryptSpec => ({
  bits,
  rounds,
  roundsCustom,
  salt: Buffer.from(salt, 'latin1'),
});

test("the test vectors of Drepper's specification (also libxcrypt's and OpenSSL's output)", async () => {
  const hello = Buffer.from('Hello world!');
  assert.equal(await shaCrypt(hello, spec(256, 'saltstring')), '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5');
  assert.equal(
    await shaCrypt(hello, spec(512, 'saltstring')),
    '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
  );
  // Salts longer than 16 characters are cut, as glibc does.
  assert.equal(
    await shaCrypt(hello, spec(256, 'saltstringsaltstring', 10000, true)),
    '$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA',
  );
  assert.equal(
    await shaCrypt(Buffer.from('we have a short salt string but not a short password'), spec(512, 'short', 77777, true)),
    '$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0',
  );
});

test('reproduces doveadm hashes exactly, including passwords of 32, 64 and 65 bytes', async () => {
  for (const scheme of ['SHA256-CRYPT', 'SHA512-CRYPT'] as const) {
    for (const pw of ['', 'a', 'x'.repeat(31), 'x'.repeat(32), 'y'.repeat(64), 'z'.repeat(65), 'pässwörd ✓', 'q'.repeat(200)]) {
      if (pw === '') continue; // doveadm pw refuses an empty -p
      for (const rounds of [undefined, 1000, 7777]) {
        const stored = dovePw(scheme, pw, rounds).replace(/^\{[^}]*\}/, '');
        const m = /^\$[56]\$(?:rounds=(\d+)\$)?([^$]*)\$/.exec(stored);
        assert.ok(m, stored);
        const s = spec(scheme === 'SHA256-CRYPT' ? 256 : 512, m[2] ?? '', m[1] ? Number(m[1]) : 5000, m[1] !== undefined);
        assert.equal(await shaCrypt(Buffer.from(pw), s), stored, `${scheme} ${pw.length} bytes rounds=${rounds}`);
      }
    }
  }
});

test('property: Dovecot accepts what we compute for random passwords, salts and rounds', async () => {
  const saltChar = fc.constantFrom(...'./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.split(''));
  await fc.assert(
    fc.asyncProperty(
      fc.string({ minLength: 1, maxLength: 80, unit: 'grapheme' }).filter((s) => !/[\x00-\x1f\x7f]/.test(s) && !s.startsWith('-')),
      fc.array(saltChar, { minLength: 1, maxLength: 16 }).map((a) => a.join('')),
      fc.constantFrom(256 as const, 512 as const),
      fc.option(fc.integer({ min: 1000, max: 3000 }), { nil: undefined }),
      async (pw, salt, bits, rounds) => {
        const hash = await shaCrypt(Buffer.from(pw), spec(bits, salt, rounds ?? 5000, rounds !== undefined));
        assert.ok(doveVerifies(`{CRYPT}${hash}`, pw), `Dovecot rejects ${hash} for ${JSON.stringify(pw)}`);
      },
    ),
    { numRuns: 40 },
  );
});

test('cost of the default 5,000 rounds, and the event loop keeps running during a long hash', async (t) => {
  for (const bits of [256, 512] as const) {
    const start = performance.now();
    for (let i = 0; i < 10; i++) await shaCrypt(Buffer.from('hunter2'), spec(bits, 'abcdefghijklmnop'));
    t.diagnostic(`$${bits === 256 ? 5 : 6}$ 5000 rounds: ${((performance.now() - start) / 10).toFixed(1)} ms`);
  }
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  await shaCrypt(Buffer.from('hunter2'), spec(512, 'salt', 100_000, true));
  clearInterval(timer);
  assert.ok(ticks > 5, `timers ran ${ticks} times during 100,000 rounds`);
});
