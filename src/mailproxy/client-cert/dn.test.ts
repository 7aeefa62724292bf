import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readElement } from './der.js';
import { rfc2253 } from './dn.js';
import { NAMES } from './testdata/openssl-names.js';

// Each name was printed by OpenSSL 3.0 with -nameopt RFC2253, the flags nginx passes (testdata/generate.mjs).
for (const { label, der, rfc2253: expected } of NAMES) {
  test(`a name as OpenSSL prints it: ${label}`, () => {
    const element = readElement(Buffer.from(der, 'hex'), 0);
    assert.ok(element);
    assert.equal(rfc2253(element), expected);
  });
}

test('a name that is not SEQUENCE OF SET OF attributes, or a BMPString of odd length, gives undefined', () => {
  const notASet = readElement(Buffer.from('300c300a300806035504030c0178', 'hex'), 0);
  assert.equal(notASet && rfc2253(notASet), undefined);
  const oddBmp = readElement(Buffer.from('300c310a300806035504031e0141', 'hex'), 0);
  assert.equal(oddBmp && rfc2253(oddBmp), undefined);
});
