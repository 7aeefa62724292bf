/** What an introspection answer means for a login (judgeToken), and the client authentication header. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basicAuthorization, introspectionBody, judgeToken, type TokenRules } from './introspection.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const S = NOW / 1000;
const rules: TokenRules = { usernameClaim: 'username', requiredScope: 'mail' };

test('an active, current token with the scope and the claim names its user', () => {
  assert.deepEqual(judgeToken({ active: true, username: 'alice', scope: 'openid mail', exp: S + 1, nbf: S }, rules, NOW), { ok: true, identity: 'alice' });
  assert.deepEqual(judgeToken({ active: true, email: 'a@b.c' }, { usernameClaim: 'email', requiredScope: '' }, NOW), { ok: true, identity: 'a@b.c' });
});

test('each way a token fails, in order', () => {
  const why = (r: Parameters<typeof judgeToken>[0], ru = rules) => {
    const v = judgeToken(r, ru, NOW);
    return v.ok ? 'ok' : v.why;
  };
  assert.equal(why({ active: false, username: 'alice', scope: 'mail' }), 'inactive');
  assert.equal(why({ active: true, username: 'alice', scope: 'mail', exp: S }), 'expired', 'exp is the first second it is no longer valid');
  assert.equal(why({ active: true, username: 'alice', scope: 'mail', nbf: S + 1 }), 'not-yet-valid');
  assert.equal(why({ active: true, username: 'alice', scope: 'mailbox' }), 'scope-missing', 'a whole scope token, not a substring');
  assert.equal(why({ active: true, username: 'alice' }), 'scope-missing');
  assert.equal(why({ active: true, username: 'alice', scope: 'MAIL' }), 'scope-missing', 'scopes are case-sensitive (RFC 6749 §3.3)');
  assert.equal(why({ active: true, scope: 'mail', username: 42 }), 'no-identity');
  assert.equal(why({ active: true, scope: 'mail', username: '' }), 'no-identity');
  assert.equal(why({ active: true, scope: 'mail', sub: 'x' }), 'no-identity');
});

test('the request body and the Basic header', () => {
  assert.equal(introspectionBody('a+b/c=='), 'token=a%2Bb%2Fc%3D%3D&token_type_hint=access_token');
  assert.equal(basicAuthorization('postern', Buffer.from('s3cret')), `Basic ${Buffer.from('postern:s3cret').toString('base64')}`);
  assert.equal(basicAuthorization('my:client', Buffer.from('a b')), `Basic ${Buffer.from('my%3Aclient:a+b').toString('base64')}`);
});
