/** Recovery codes: format, entropy source, how typed input is read, and hashing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCodes, RECOVERY_CODE_COUNT } from './recovery-codes.js';

describe('recovery codes', () => {
  it('makes 10 distinct XXXX-XXXX-XXXX-XXXX codes of Crockford base32 and their SHA-256 digests', () => {
    const { codes, hashes } = newRecoveryCodes();
    assert.equal(codes.length, RECOVERY_CODE_COUNT);
    for (const c of codes) assert.match(c, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    assert.equal(new Set(codes).size, codes.length);
    assert.deepEqual(hashes, codes.map((c) => hashRecoveryCode(c)));
    for (const h of hashes) assert.match(h, /^[0-9a-f]{64}$/);
    assert.notDeepEqual(newRecoveryCodes().codes, codes, 'random each time');
  });

  it('ignores case, spaces and dashes, and reads O as 0 and I, L as 1', () => {
    const h = hashRecoveryCode('0123-4567-89AB-CDEF');
    assert.equal(hashRecoveryCode('o123 4567 89ab cdef'), h);
    assert.equal(hashRecoveryCode('0123456789abcdef'), h);
    assert.equal(hashRecoveryCode('1111-2222-3333-4444'), hashRecoveryCode('ilIL-2222-3333-4444'));
    for (const bad of ['', '0123-4567', '0123-4567-89AB-CDEU', '0123-4567-89AB-CDEF-0']) assert.equal(hashRecoveryCode(bad), null, bad);
  });

  it('tells a recovery code from a 6-digit TOTP code', () => {
    assert.equal(looksLikeRecoveryCode('123 456'), false);
    assert.equal(looksLikeRecoveryCode('ABCD-EFGH-JKMN-PQRS'), true);
  });
});
