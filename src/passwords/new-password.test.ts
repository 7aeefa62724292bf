import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PASSWORD_BYTES, newPasswordProblem } from './new-password.js';

test('a new password must be non-empty, without control characters, and at most MAX_PASSWORD_BYTES of UTF-8', () => {
  assert.equal(newPasswordProblem('correct horse'), undefined);
  assert.equal(newPasswordProblem(' spaces and ünïcode are fine '), undefined);
  assert.equal(newPasswordProblem(''), 'the password is empty');
  for (const c of ['\n', '\r', '\t', '\0', '\x7f']) assert.match(newPasswordProblem(`a${c}b`) ?? '', /control character/, JSON.stringify(c));
  assert.equal(newPasswordProblem('é'.repeat(MAX_PASSWORD_BYTES / 2)), undefined, 'counted in bytes: 2 per é');
  assert.match(newPasswordProblem(`${'é'.repeat(MAX_PASSWORD_BYTES / 2)}x`) ?? '', /longer than 1024 bytes/);
});
