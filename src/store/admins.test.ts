/** Admins, sessions and API tokens on a real SQLite file. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DirectoryError } from '../directory/types.js';
import { hashPassword } from '../passwords/index.js';
import { newSession, type SessionPolicy } from '../admin/index.js';
import { openTempDirectory, type TempDirectory } from './test-support.js';

const rejectsWith = (code: DirectoryError['code'], pattern: RegExp) => (err: unknown) => err instanceof DirectoryError && err.code === code && pattern.test(err.message);
const POLICY: SessionPolicy = { idleMs: 30 * 60_000, maxMs: 12 * 3_600_000, binding: 'off' };

describe('admins', () => {
  let t: TempDirectory;
  let hash: string;
  beforeEach(async () => {
    t = await openTempDirectory();
    hash = await hashPassword('a long password', { memoryKiB: 1024, iterations: 1, parallelism: 1 });
  });
  afterEach(async () => t.cleanup());

  it('adds, lists and finds admins by lower-case name; refuses bad names, duplicates and non-hashes', async () => {
    const a = await t.dir.addAdmin(' Root ', hash);
    assert.equal(a.name, 'root');
    assert.deepEqual((await t.dir.listAdmins()).map((x) => x.name), ['root']);
    assert.equal((await t.dir.getAdmin('ROOT'))?.passwordHash, hash);
    assert.equal(await t.dir.getAdmin('nobody'), null);
    await assert.rejects(t.dir.addAdmin('root', hash), rejectsWith('exists', /already exists.*admin passwd root/));
    await assert.rejects(t.dir.addAdmin('a b', hash), rejectsWith('invalid', /not a valid admin name/));
    await assert.rejects(t.dir.addAdmin('<b>', hash), rejectsWith('invalid', /not a valid admin name/));
    await assert.rejects(t.dir.addAdmin('alice', 'clear text'), rejectsWith('invalid', /not a usable password hash/));
  });

  it('a password change revokes every session of that admin, and only theirs', async () => {
    const root = await t.dir.addAdmin('root', hash);
    const alice = await t.dir.addAdmin('alice', hash);
    const now = new Date();
    for (const adminId of [root.id, root.id, alice.id]) await t.dir.createSession(newSession({ adminId, clientIp: '127.0.0.1', userAgent: 'ua', now, policy: POLICY }).record);
    assert.equal((await t.dir.listSessions(root.id, now.toISOString())).length, 2);
    const r = await t.dir.setAdminPassword('root', hash);
    assert.equal(r.revokedSessions, 2);
    assert.equal((await t.dir.listSessions(root.id, now.toISOString())).length, 0);
    assert.equal((await t.dir.listSessions(alice.id, now.toISOString())).length, 1);
    await assert.rejects(t.dir.setAdminPassword('ghost', hash), rejectsWith('not-found', /admin "ghost" does not exist/));
  });

  it('revokes one own session, never another admin\'s; prunes ended ones; lists newest use first', async () => {
    const root = await t.dir.addAdmin('root', hash);
    const alice = await t.dir.addAdmin('alice', hash);
    const now = new Date('2030-01-01T00:00:00.000Z');
    const a = newSession({ adminId: root.id, clientIp: '127.0.0.1', userAgent: 'A', now, policy: POLICY }).record;
    const b = newSession({ adminId: root.id, clientIp: '127.0.0.2', userAgent: 'B', now, policy: POLICY }).record;
    await t.dir.createSession(a);
    await t.dir.createSession(b);
    await t.dir.touchSession(b.idHash, '2030-01-01T00:05:00.000Z');
    assert.deepEqual((await t.dir.listSessions(root.id, now.toISOString())).map((s) => s.userAgent), ['B', 'A']);
    assert.equal(await t.dir.revokeSession(alice.id, a.idHash), false, 'not hers');
    assert.equal(await t.dir.revokeSession(root.id, a.idHash), true);
    assert.equal(await t.dir.revokeSession(root.id, a.idHash), false, 'already revoked');
    assert.equal((await t.dir.getSession(a.idHash))?.revoked, true);
    assert.equal((await t.dir.listSessions(root.id, '2030-01-01T13:00:00.000Z')).length, 0, 'past the absolute end');
    assert.equal(await t.dir.pruneSessions('2030-01-02T00:00:00.000Z'), 2);
  });

  it('API tokens: created for an admin with a label, found by hash while live, revoked, listed without the token', async () => {
    await t.dir.addAdmin('root', hash);
    const h = 'a'.repeat(64);
    const tok = await t.dir.createApiToken('root', ' backups ', h);
    assert.deepEqual([tok.adminName, tok.label, tok.revoked, tok.lastUsedAt], ['root', 'backups', false, null]);
    assert.equal((await t.dir.findApiToken(h))?.id, tok.id);
    await t.dir.touchApiToken(tok.id, '2030-01-01T00:00:00.000Z');
    assert.equal((await t.dir.listApiTokens('root'))[0]?.lastUsedAt, '2030-01-01T00:00:00.000Z');
    assert.ok(!JSON.stringify(await t.dir.listApiTokens()).includes(h), 'listings never carry the hash');
    await t.dir.revokeApiToken(tok.id);
    assert.equal(await t.dir.findApiToken(h), null);
    await assert.rejects(t.dir.revokeApiToken(99), rejectsWith('not-found', /API token 99 does not exist/));
    await assert.rejects(t.dir.createApiToken('ghost', 'x', 'b'.repeat(64)), rejectsWith('not-found', /admin "ghost"/));
    await assert.rejects(t.dir.createApiToken('root', '', 'c'.repeat(64)), rejectsWith('invalid', /token label/));
    await assert.rejects(t.dir.createApiToken('root', 'x', 'not-a-digest'), rejectsWith('invalid', /hex SHA-256/));
  });

  it('removing an admin removes its sessions and tokens', async () => {
    const root = await t.dir.addAdmin('root', hash);
    const s = newSession({ adminId: root.id, clientIp: '127.0.0.1', userAgent: '', now: new Date(), policy: POLICY }).record;
    await t.dir.createSession(s);
    await t.dir.createApiToken('root', 'x', 'd'.repeat(64));
    await t.dir.removeAdmin('root');
    assert.equal(await t.dir.getSession(s.idHash), null);
    assert.deepEqual(await t.dir.listApiTokens(), []);
  });
});
