import assert from 'node:assert/strict';
import { test } from 'node:test';
import { equalSecrets, secretChecker } from './compare.js';

test('equalSecrets: equal only for the same bytes, whatever the lengths or types', () => {
  assert.equal(equalSecrets('token', 'token'), true);
  assert.equal(equalSecrets(Buffer.from('token'), 'token'), true);
  assert.equal(equalSecrets('token', 'tokeN'), false);
  assert.equal(equalSecrets('token', 'token2'), false);
  assert.equal(equalSecrets('', ''), true);
});

test('secretChecker: a missing value never matches, not even an empty expected secret', () => {
  const check = secretChecker(Buffer.from('s3cret'));
  assert.equal(check(Buffer.from('s3cret')), true);
  assert.equal(check(Buffer.from('s3cre')), false);
  assert.equal(check(undefined), false);
  assert.equal(secretChecker(Buffer.alloc(0))(undefined), false);
});
