/** TOTP through the wrapper: RFC 6238's own test vectors, the ±1 step window, replay refusal. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTotp, newTotpSecret, normaliseTotpCode, totpCode, totpSecretText, totpStep, totpUri } from './totp.js';

// RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890"; the table gives
// 8-digit codes. A 6-digit code is the same truncated value mod 10^6 (RFC 4226 §5.3), i.e. the
// last six digits of the 8-digit one.
const RFC_SEED = Buffer.from('12345678901234567890', 'ascii');
const RFC_VECTORS: ReadonlyArray<readonly [number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  it('produces the RFC 6238 Appendix B SHA-1 codes (6-digit truncation)', () => {
    for (const [seconds, code8] of RFC_VECTORS) {
      assert.equal(totpCode(RFC_SEED, new Date(seconds * 1000)), code8.slice(-6), `T = ${seconds}`);
      const check = checkTotp(RFC_SEED, code8.slice(-6), new Date(seconds * 1000), null);
      assert.deepEqual(check, { ok: true, step: Math.floor(seconds / 30) });
    }
  });

  it('accepts the previous and the next step, nothing further, and says which step matched', () => {
    const secret = newTotpSecret();
    const now = new Date(1_700_000_015_000);
    const step = totpStep(now);
    const at = (s: number) => new Date(s * 30_000);
    assert.deepEqual(checkTotp(secret, totpCode(secret, at(step - 1)), now, null), { ok: true, step: step - 1 });
    assert.deepEqual(checkTotp(secret, totpCode(secret, at(step + 1)), now, null), { ok: true, step: step + 1 });
    for (const far of [step - 2, step + 2]) {
      const code = totpCode(secret, at(far));
      // A code of a far step could coincide with a near one (1 in 10^6 per step); skip that draw.
      if ([step - 1, step, step + 1].some((s) => totpCode(secret, at(s)) === code)) continue;
      assert.deepEqual(checkTotp(secret, code, now, null), { ok: false, reason: 'wrong' });
    }
  });

  it('refuses a code of the last used step or an earlier one, even inside the window', () => {
    const secret = newTotpSecret();
    const now = new Date(1_700_000_015_000);
    const step = totpStep(now);
    const code = totpCode(secret, now);
    assert.deepEqual(checkTotp(secret, code, now, step), { ok: false, reason: 'replayed' });
    assert.deepEqual(checkTotp(secret, totpCode(secret, new Date((step - 1) * 30_000)), now, step), { ok: false, reason: 'replayed' });
    assert.deepEqual(checkTotp(secret, totpCode(secret, new Date((step + 1) * 30_000)), now, step), { ok: true, step: step + 1 }, 'the next code is still good');
    assert.deepEqual(checkTotp(secret, code, now, step - 1), { ok: true, step });
  });

  it('reads codes as people type them and refuses what cannot be a code', () => {
    assert.equal(normaliseTotpCode(' 123 456 '), '123456');
    assert.equal(normaliseTotpCode('123-456'), '123456');
    for (const bad of ['', '12345', '1234567', '12a456', '１２３４５６']) assert.equal(normaliseTotpCode(bad), null, bad);
    assert.deepEqual(checkTotp(newTotpSecret(), '12345', new Date(), null), { ok: false, reason: 'malformed' });
  });

  it('shows the secret as base32 for hand entry and as an otpauth:// URI with the fixed parameters', () => {
    assert.equal(totpSecretText(RFC_SEED), 'GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ');
    const uri = new URL(totpUri(RFC_SEED, 'Postern', 'root@admin.example.com'));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(uri.searchParams.get('secret'), 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    assert.equal(uri.searchParams.get('issuer'), 'Postern');
    assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
    assert.equal(uri.searchParams.get('digits'), '6');
    assert.equal(uri.searchParams.get('period'), '30');
    assert.equal(newTotpSecret().length, 20);
  });
});
