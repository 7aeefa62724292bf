/**
 * The second factor on a real SQLite file: the seed stored only as a vault ciphertext, the
 * time-step compare-and-set across two connections (two processes), recovery codes spent once,
 * and session revocation with every change of the factor.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { newRecoveryCodes, newSession, type Admin, type SessionPolicy } from '../admin/index.js';
import { DirectoryError, totpSecretBinding } from '../directory/types.js';
import { hashPassword } from '../passwords/index.js';
import { encrypt } from '../vault/index.js';
import { testKeyring } from '../vault/test-support.js';
import { openDirectory } from './index.js';
import { openTempDirectory, type TempDirectory } from './test-support.js';

const POLICY: SessionPolicy = { idleMs: 30 * 60_000, maxMs: 12 * 3_600_000, binding: 'off' };

describe('admin second factor (store)', () => {
  let t: TempDirectory;
  let root: Admin;
  const ring = testKeyring([['k1', 'active']]);
  const seed = (id: number) => encrypt(ring, 'totp', Buffer.alloc(20, 7), totpSecretBinding(id));
  async function sessions(adminId: number, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const s = newSession({ adminId, clientIp: '127.0.0.1', userAgent: 'ua', now: new Date(), policy: POLICY });
      await t.dir.createSession(s.record);
      ids.push(s.record.idHash);
    }
    return ids;
  }
  const live = async (adminId: number) => (await t.dir.listSessions(adminId, new Date().toISOString())).map((s) => s.idHash);

  beforeEach(async () => {
    t = await openTempDirectory();
    root = await t.dir.addAdmin('root', await hashPassword('a long password', { memoryKiB: 1024, iterations: 1, parallelism: 1 }));
  });
  afterEach(async () => t.cleanup());

  it('stores only vault ciphertexts, and enrolment is pending until confirmed', async () => {
    await assert.rejects(t.dir.beginTotp(root.id, 'JBSWY3DPEHPK3PXP'), (e: unknown) => e instanceof DirectoryError && /vault ciphertext/.test(e.message));
    assert.equal((await t.dir.getTotp(root.id)).secret, null);
    const c = seed(root.id);
    assert.equal(await t.dir.beginTotp(root.id, c), true);
    const pending = await t.dir.getTotp(root.id);
    assert.equal(pending.secret, c);
    assert.equal(pending.enabledAt, null);
    assert.equal((await t.dir.getAdmin('root'))?.twoFactor, 'pending');
    assert.equal(await t.dir.claimTotpStep(root.id, 100), false, 'no step is claimed before 2FA is on');
  });

  it('confirming turns 2FA on, records the step, stores the codes and revokes every session but the kept one', async () => {
    const [a, b] = await sessions(root.id, 2);
    const c = seed(root.id);
    await t.dir.beginTotp(root.id, c);
    const { hashes } = newRecoveryCodes();
    assert.deepEqual(await t.dir.enableTotp(root.id, 'pv1.k1.other', 100, hashes, null), { ok: false, revokedSessions: 0 }, 'a changed seed is not confirmed');
    assert.deepEqual(await t.dir.enableTotp(root.id, c, 100, hashes, a as string), { ok: true, revokedSessions: 1 });
    assert.deepEqual(await live(root.id), [a]);
    assert.notEqual(b, undefined);
    const on = await t.dir.getTotp(root.id);
    assert.equal(on.lastStep, 100);
    assert.equal(on.recoveryCodesLeft, 10);
    assert.equal((await t.dir.getAdmin('root'))?.twoFactor, 'on');
    assert.equal(await t.dir.beginTotp(root.id, seed(root.id)), false, 'a new enrolment needs 2FA off first');
    assert.equal(await t.dir.claimTotpStep(root.id, 100), false, 'the confirming code is used');
    assert.equal(await t.dir.claimTotpStep(root.id, 101), true);
    assert.equal(await t.dir.claimTotpStep(root.id, 99), false, 'an older step after a newer one');
  });

  it('two connections (two processes) given the same step: exactly one wins', async () => {
    await t.dir.beginTotp(root.id, seed(root.id));
    await t.dir.enableTotp(root.id, (await t.dir.getTotp(root.id)).secret as string, 10, newRecoveryCodes().hashes, null);
    const other = await openDirectory({ kind: 'sqlite', path: t.file });
    try {
      for (const step of [11, 12, 13, 14, 15]) {
        const results = await Promise.all([t.dir.claimTotpStep(root.id, step), other.claimTotpStep(root.id, step)]);
        assert.equal(results.filter(Boolean).length, 1, `step ${step}: ${results}`);
      }
      assert.equal((await other.getTotp(root.id)).lastStep, 15);
    } finally {
      await other.close();
    }
  });

  it('a recovery code is spent once, also across connections; new codes replace the old', async () => {
    await t.dir.beginTotp(root.id, seed(root.id));
    const first = newRecoveryCodes();
    await t.dir.enableTotp(root.id, (await t.dir.getTotp(root.id)).secret as string, 10, first.hashes, null);
    const other = await openDirectory({ kind: 'sqlite', path: t.file });
    try {
      const h = first.hashes[0] as string;
      const both = await Promise.all([t.dir.useRecoveryCode(root.id, h), other.useRecoveryCode(root.id, h)]);
      assert.deepEqual(both.filter(Boolean).length, 1);
      assert.equal(await t.dir.useRecoveryCode(root.id, h), false);
      assert.equal((await t.dir.getTotp(root.id)).recoveryCodesLeft, 9);
      const alice = await t.dir.addAdmin('alice', (await t.dir.getAdmin('root'))!.passwordHash);
      assert.equal(await t.dir.useRecoveryCode(alice.id, first.hashes[1] as string), false, "another admin's code");
      const [keep] = await sessions(root.id, 2);
      const second = newRecoveryCodes();
      assert.deepEqual(await t.dir.replaceRecoveryCodes(root.id, second.hashes, keep as string), { revokedSessions: 1 });
      assert.equal(await t.dir.useRecoveryCode(root.id, first.hashes[1] as string), false, 'old codes are gone');
      assert.equal(await t.dir.useRecoveryCode(root.id, second.hashes[1] as string), true);
    } finally {
      await other.close();
    }
  });

  it('turning 2FA off, the requirement, and the operator reset (which ends every session)', async () => {
    await t.dir.beginTotp(root.id, seed(root.id));
    await t.dir.enableTotp(root.id, (await t.dir.getTotp(root.id)).secret as string, 10, newRecoveryCodes().hashes, null);
    const [keep] = await sessions(root.id, 3);
    assert.deepEqual(await t.dir.disableTotp(root.id, keep as string), { revokedSessions: 2 });
    const off = await t.dir.getTotp(root.id);
    assert.deepEqual([off.secret, off.enabledAt, off.lastStep, off.recoveryCodesLeft], [null, null, null, 0]);

    assert.equal((await t.dir.setTotpRequired('ROOT', true)).twoFactorRequired, true);
    assert.equal((await t.dir.getTotp(root.id)).required, true);
    await t.dir.beginTotp(root.id, seed(root.id));
    await t.dir.enableTotp(root.id, (await t.dir.getTotp(root.id)).secret as string, 20, newRecoveryCodes().hashes, null);
    await sessions(root.id, 2);
    const r = await t.dir.resetTotp('root');
    assert.deepEqual([r.hadTotp, r.revokedSessions, r.admin.twoFactor, r.admin.twoFactorRequired], [true, 2, 'off', true]);
    assert.deepEqual(await live(root.id), []);
    assert.equal((await t.dir.resetTotp('root')).hadTotp, false);
    await assert.rejects(t.dir.resetTotp('nobody'), (e: unknown) => e instanceof DirectoryError && e.code === 'not-found');
    await assert.rejects(t.dir.setTotpRequired('nobody', true), (e: unknown) => e instanceof DirectoryError && e.code === 'not-found');
  });
});
