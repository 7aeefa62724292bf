/** Tests for mechanism.ts: ngx_mail_auth_parse (§4.3). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAuthCommand, type AuthCommandOptions } from './mechanism.js';

function parse(line: string, options?: AuthCommandOptions) {
  return parseAuthCommand(line === '' ? [] : line.split(' ').map((a) => Buffer.from(a)), options);
}

test('§4.3 mechanism names are case-insensitive', () => {
  for (const [line, mechanism] of [['PLAIN', 'plain'], ['plain', 'plain'], ['Login', 'login'], ['cram-MD5', 'cram-md5'], ['external', 'external']]) {
    const r = parse(line as string);
    assert.ok(r.ok && r.value.mechanism === mechanism && r.value.initial === undefined, line);
  }
});

test('§4.3 initial responses for PLAIN, LOGIN and EXTERNAL, none for CRAM-MD5', () => {
  const r = parse('PLAIN AGFsaWNlAHB3');
  assert.ok(r.ok && r.value.initial?.toString() === 'AGFsaWNlAHB3');
  assert.ok(parse('LOGIN YWxpY2U=').ok);
  assert.ok(parse('EXTERNAL =').ok);
  assert.deepEqual(parse('CRAM-MD5 abc'), { ok: false, error: { code: 'invalid', detail: 'too many arguments' } });
});

test('§4.3 more than one initial response is an invalid command', () => {
  for (const line of ['PLAIN a b', 'LOGIN a b', 'EXTERNAL a b']) assert.equal(parse(line).ok, false, line);
});

test('§4.3 no mechanism (SMTP answers 501) and unknown mechanisms', () => {
  assert.deepEqual(parse(''), { ok: false, error: { code: 'no-mechanism', detail: 'no SASL mechanism given' } });
  for (const line of ['DIGEST-MD5', 'SCRAM-SHA-1', 'PLAINX', 'GSSAPI']) {
    assert.deepEqual(parse(line), { ok: false, error: { code: 'invalid', detail: 'unknown SASL mechanism' } }, line);
  }
});

test('OAUTHBEARER and XOAUTH2 only when the bearer methods are enabled', () => {
  assert.equal(parse('OAUTHBEARER bixhPWFAYiwBYXV0aD1CZWFyZXIgdAEB').ok, false);
  assert.equal(parse('XOAUTH2').ok, false);
  const r = parse('xoauth2 abc', { bearer: true });
  assert.ok(r.ok && r.value.mechanism === 'xoauth2' && r.value.initial?.toString() === 'abc');
  assert.ok(parse('OAUTHBEARER', { bearer: true }).ok);
});
