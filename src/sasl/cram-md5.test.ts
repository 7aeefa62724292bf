/** Tests for cram-md5.ts, salt.ts and challenge.ts: the salt, the challenge and the answer (§4.3). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { capture } from '../authhttp/testdata/captures.js';
import { challengeLine, firstChallenge } from './challenge.js';
import { cramMd5Challenge, decodeCramMd5Response } from './cram-md5.js';
import { formatSalt } from './salt.js';

const header = (n: number, name: string): string => {
  const line = capture(n).lines.find((l) => l.startsWith(`${name}: `));
  assert.ok(line, `capture #${n} has ${name}`);
  return line.slice(name.length + 2);
};

test('§4.3 (verified) the salt is <random.time@server_name>', () => {
  assert.equal(formatSalt({ random: 337361947, unixTime: 1795432836, serverName: 'mail.test' }), '<337361947.1795432836@mail.test>');
  assert.equal(formatSalt({ random: 0, unixTime: 0, serverName: 'h' }), '<0.0@h>');
  assert.throws(() => formatSalt({ random: -1, unixTime: 0, serverName: 'h' }), RangeError);
  assert.throws(() => formatSalt({ random: 1.5, unixTime: 0, serverName: 'h' }), RangeError);
  assert.throws(() => formatSalt({ random: 1, unixTime: 0, serverName: 'h\r\n' }), RangeError);
});

test('captured salts have the format, and the digests verify against the salt with its brackets', () => {
  // #40 imap-cram-md5 and #68 pop3-apop, user alice with password alicepw.
  const cramSalt = header(40, 'Auth-Salt');
  assert.match(cramSalt, /^<\d+\.\d+@mail\.harness\.test>$/);
  assert.equal(createHmac('md5', 'alicepw').update(cramSalt).digest('hex'), header(40, 'Auth-Pass'));
  const apopSalt = header(68, 'Auth-Salt');
  assert.equal(createHash('md5').update(apopSalt + 'alicepw').digest('hex'), header(68, 'Auth-Pass'));
});

test('§4.3 the CRAM-MD5 challenge is base64 of the salt, brackets included, no CRLF', () => {
  const salt = '<2073013341.1795433954@mail.harness.test>';
  assert.equal(Buffer.from(cramMd5Challenge(salt), 'base64').toString(), salt);
  assert.equal(challengeLine('imap', cramMd5Challenge(salt)).toString(), `+ ${Buffer.from(salt).toString('base64')}\r\n`);
  assert.equal(challengeLine('smtp', cramMd5Challenge(salt)).toString(), `334 ${Buffer.from(salt).toString('base64')}\r\n`);
});

test('§4.3 the response splits at the first space; the digest must be 32 bytes, not checked for hex', () => {
  const enc = (s: string): Buffer => Buffer.from(Buffer.from(s, 'latin1').toString('base64'));
  const r = decodeCramMd5Response(enc('alice 1F2E49323046BA56069A2C9B4253DA16'));
  assert.ok(r.ok && r.value.user.toString() === 'alice' && r.value.digest.toString() === '1F2E49323046BA56069A2C9B4253DA16');
  // A username with a space cannot use CRAM: the rest is not 32 bytes.
  assert.equal(decodeCramMd5Response(enc('bob smith 1f2e49323046ba56069a2c9b4253da16')).ok, false);
  const odd = decodeCramMd5Response(enc(' zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz'));
  assert.ok(odd.ok && odd.value.user.length === 0);
  const detail = 'client sent invalid CRAM-MD5 hash in AUTH CRAM-MD5 command';
  for (const bad of ['alice', 'alice 1f2e', 'alice 1f2e49323046ba56069a2c9b4253da16x', '']) {
    assert.deepEqual(decodeCramMd5Response(enc(bad)), { ok: false, error: { code: 'bad-cram-hash', detail } }, bad);
  }
  assert.equal(decodeCramMd5Response(Buffer.from('*')).ok ? '' : 'bad', 'bad');
});

test('§4.3 continuation lines and first challenges, as nginx writes them', () => {
  assert.equal(challengeLine('imap', '').toString(), '+ \r\n');
  assert.equal(challengeLine('pop3', firstChallenge('login', undefined)).toString(), '+ VXNlcm5hbWU6\r\n');
  // EXTERNAL without an initial response prompts "Username:" too.
  assert.equal(challengeLine('smtp', firstChallenge('external', undefined)).toString(), '334 VXNlcm5hbWU6\r\n');
  assert.equal(firstChallenge('plain', undefined), '');
  assert.equal(firstChallenge('oauthbearer', undefined), '');
  assert.equal(firstChallenge('cram-md5', '<1.2@h>'), 'PDEuMkBoPg==');
  assert.throws(() => firstChallenge('cram-md5', undefined), RangeError);
});
