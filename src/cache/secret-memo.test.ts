import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSecretMemo } from './secret-memo.js';

test('a decrypted secret is found for its keyring, record and ciphertext only, one per record, the oldest out past maxEntries', () => {
  const memo = createSecretMemo(2);
  const ring = {};
  memo.set(ring, 'backend 1', 'pv1.k1.aaa', 'one');
  assert.equal(memo.get(ring, 'backend 1', 'pv1.k1.aaa'), 'one');
  assert.equal(memo.get({}, 'backend 1', 'pv1.k1.aaa'), undefined, 'another keyring never sees it');
  assert.equal(memo.get(ring, 'backend 2', 'pv1.k1.aaa'), undefined, 'nor another record');
  assert.equal(memo.get(ring, 'backend 1', 'pv1.k1.bbb'), undefined, 'a new ciphertext is not the old plaintext');
  memo.set(ring, 'backend 1', 'pv1.k1.bbb', 'two');
  assert.equal(memo.get(ring, 'backend 1', 'pv1.k1.aaa'), undefined, 'the old plaintext is gone');
  assert.equal(memo.get(ring, 'backend 1', 'pv1.k1.bbb'), 'two');
  memo.set(ring, 'backend 2', 'pv1.k1.ccc', 'three');
  memo.set(ring, 'backend 3', 'pv1.k1.ddd', 'four');
  assert.deepEqual(
    [memo.get(ring, 'backend 1', 'pv1.k1.bbb'), memo.get(ring, 'backend 2', 'pv1.k1.ccc'), memo.get(ring, 'backend 3', 'pv1.k1.ddd')],
    [undefined, 'three', 'four'],
  );
});
