/** APOP and CRAM-MD5 digests against the RFCs' own examples, and what may be sent as Auth-Pass. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedDigest, reversibleSecretProblem, verifyDigest } from './challenge.js';

const APOP_SALT = '<1896.697170952@dbc.mtview.ca.us>';
const APOP_DIGEST = 'c4c9334bac560ecc979e58001b3e22fb'; // RFC 1939 §7
const CRAM_SALT = '<1896.697170952@postoffice.reston.mci.net>';
const CRAM_DIGEST = 'b913a602c7eda7a495b4e6e7334d3890'; // RFC 2195 §2

test('APOP: RFC 1939 example, MD5 over the salt with its brackets then the secret', () => {
  assert.equal(expectedDigest('apop', APOP_SALT, Buffer.from('tanstaaf')), APOP_DIGEST);
  assert.ok(verifyDigest('apop', APOP_SALT, Buffer.from('tanstaaf'), Buffer.from(APOP_DIGEST)));
  assert.ok(verifyDigest('apop', APOP_SALT, Buffer.from('tanstaaf'), Buffer.from(APOP_DIGEST.toUpperCase())), 'hex case does not matter');
  assert.ok(!verifyDigest('apop', APOP_SALT, Buffer.from('tanstaaF'), Buffer.from(APOP_DIGEST)));
  assert.ok(!verifyDigest('apop', APOP_SALT.slice(1, -1), Buffer.from('tanstaaf'), Buffer.from(APOP_DIGEST)), 'the brackets are part of the salt');
});

test('CRAM-MD5: RFC 2195 example, HMAC-MD5 keyed with the secret over the salt', () => {
  assert.equal(expectedDigest('cram-md5', CRAM_SALT, Buffer.from('tanstaaftanstaaf')), CRAM_DIGEST);
  assert.ok(verifyDigest('cram-md5', CRAM_SALT, Buffer.from('tanstaaftanstaaf'), Buffer.from(CRAM_DIGEST)));
  assert.ok(verifyDigest('cram-md5', CRAM_SALT, Buffer.from('tanstaaftanstaaf'), Buffer.from(CRAM_DIGEST.toUpperCase())));
  assert.ok(!verifyDigest('apop', CRAM_SALT, Buffer.from('tanstaaftanstaaf'), Buffer.from(CRAM_DIGEST)), 'the methods differ');
});

test('a digest of the wrong length, empty, or with extra bytes never matches', () => {
  const secret = Buffer.from('tanstaaf');
  for (const sent of ['', APOP_DIGEST.slice(0, 31), APOP_DIGEST + '0', APOP_DIGEST + ' ', `${APOP_DIGEST.slice(0, 31)}G`]) {
    assert.ok(!verifyDigest('apop', APOP_SALT, secret, Buffer.from(sent)), JSON.stringify(sent));
  }
});

test('a reversible credential must be something nginx can send as Auth-Pass', () => {
  assert.equal(reversibleSecretProblem(Buffer.from('tanstaaf')), undefined);
  assert.equal(reversibleSecretProblem(Buffer.from('pä ss%41 "w"')), undefined);
  assert.match(reversibleSecretProblem(Buffer.alloc(0)) ?? '', /empty/);
  assert.match(reversibleSecretProblem(Buffer.from('a\r\nb')) ?? '', /control character/);
  assert.match(reversibleSecretProblem(Buffer.from(' lead')) ?? '', /space/);
  assert.match(reversibleSecretProblem(Buffer.from('trail ')) ?? '', /space/);
  assert.match(reversibleSecretProblem(Buffer.from([0xff, 0x41])) ?? '', /UTF-8/);
  assert.match(reversibleSecretProblem(Buffer.alloc(257, 0x61)) ?? '', /longer than 256/);
});
