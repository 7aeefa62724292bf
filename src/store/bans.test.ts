/** Bans on a real SQLite file, with a clock the tests move. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { BanKind } from '../defence/types.js';
import { DirectoryError } from '../directory/types.js';
import { normaliseBanSubject, openDirectory, parseBanSubject } from './index.js';
import { openSqlite } from './sqlite-binding.js';
import { manualClock, openTempDirectory, type TempDirectory } from './test-support.js';

const T0 = '2030-01-01T00:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

function rejectsInvalid(pattern: RegExp) {
  return (err: unknown) => err instanceof DirectoryError && err.code === 'invalid' && pattern.test(err.message);
}

describe('bans', () => {
  let t: TempDirectory;
  let time: ReturnType<typeof manualClock>;
  beforeEach(async () => {
    time = manualClock(T0);
    t = await openTempDirectory({ clock: time.clock });
  });
  afterEach(async () => t.cleanup());

  it('adds bans with normalised subjects', async () => {
    const ip = await t.dir.addBan({ kind: 'ip', subject: ' 2001:DB8:0:0::7 ', reason: '15 failed logins in 15 minutes', seconds: 900 });
    assert.deepEqual(ip, { id: ip.id, kind: 'ip', subject: '2001:db8::7', reason: '15 failed logins in 15 minutes', createdAt: T0, expiresAt: at(900) });
    assert.equal((await t.dir.addBan({ kind: 'ip', subject: '::ffff:192.0.2.7', reason: '', seconds: 60 })).subject, '192.0.2.7');
    assert.equal((await t.dir.addBan({ kind: 'subnet', subject: '2001:DB8:0::/48', reason: 'x', seconds: 60 })).subject, '2001:db8::/48');
    assert.equal((await t.dir.addBan({ kind: 'account', subject: 'Alice@Example.COM', reason: 'x', seconds: 60 })).subject, 'alice@example.com');
    const multiLine = await t.dir.addBan({ kind: 'ip', subject: '192.0.2.8', reason: ' two\nlines\t here ', seconds: 60 });
    assert.equal(multiLine.reason, 'two lines here');
  });

  it('rejects bad input as DirectoryError("invalid")', async () => {
    const ban = (kind: string, subject: string, seconds = 60) => t.dir.addBan({ kind: kind as BanKind, subject, reason: 'r', seconds });
    await assert.rejects(ban('host', '192.0.2.7'), rejectsInvalid(/kind must be one of ip, subnet, account/));
    await assert.rejects(ban('ip', '  '), rejectsInvalid(/needs the IP address/));
    await assert.rejects(ban('ip', '192.0.2.300'), rejectsInvalid(/not an IP address/));
    await assert.rejects(ban('ip', '10'), rejectsInvalid(/not an IP address/));
    await assert.rejects(ban('ip', '192.0.2.0/24'), rejectsInvalid(/kind "subnet"/));
    await assert.rejects(ban('subnet', '192.0.2.7'), rejectsInvalid(/not a CIDR network/));
    await assert.rejects(ban('subnet', '192.0.2.7/24'), rejectsInvalid(/did you mean "192\.0\.2\.0\/24"/));
    await assert.rejects(ban('subnet', '192.0.2.0/33'), rejectsInvalid(/not a valid CIDR/));
    await assert.rejects(ban('account', 'alice'), rejectsInvalid(/not an address/));
    await assert.rejects(ban('account', 'a b@example.com'), rejectsInvalid(/not a valid address/));
    for (const seconds of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 200 * 365 * 86400]) {
      await assert.rejects(ban('ip', '192.0.2.7', seconds), rejectsInvalid(/whole number of seconds/), String(seconds));
    }
    assert.deepEqual(await t.dir.listBans({ all: true }), []);
  });

  it('extends the standing ban for the same kind and subject instead of adding one', async () => {
    const first = await t.dir.addBan({ kind: 'ip', subject: '192.0.2.7', reason: 'first', seconds: 600 });
    time.advance(60);
    const longer = await t.dir.addBan({ kind: 'ip', subject: '192.0.2.7', reason: 'second', seconds: 3600 });
    assert.deepEqual(longer, { ...first, reason: 'second', expiresAt: at(60 + 3600) });
    time.advance(60);
    const shorter = await t.dir.addBan({ kind: 'ip', subject: '192.0.2.7', reason: 'third', seconds: 10 });
    assert.deepEqual(shorter, { ...first, reason: 'third', expiresAt: at(60 + 3600) }, 'never shortened');
    // Another kind on the same subject text, or another subject, is a ban of its own.
    const other = await t.dir.addBan({ kind: 'ip', subject: '192.0.2.8', reason: 'x', seconds: 60 });
    assert.notEqual(other.id, first.id);
    assert.equal((await t.dir.listBans({ all: true })).length, 2);
    assert.equal((await t.dir.listBans())[1]?.reason, 'third');
    // Once it has expired, banning again starts a new ban.
    time.set(at(60 + 3600));
    const again = await t.dir.addBan({ kind: 'ip', subject: '192.0.2.7', reason: 'again', seconds: 60 });
    assert.notEqual(again.id, first.id);
    assert.equal(again.createdAt, at(3660));
  });

  it('finds the bans in force on a login\'s ip, subnet and account in one lookup', async () => {
    assert.deepEqual(await t.dir.activeBans({}), []);
    const ip = await t.dir.addBan({ kind: 'ip', subject: '192.0.2.7', reason: 'ip', seconds: 600 });
    const net = await t.dir.addBan({ kind: 'subnet', subject: '198.51.100.0/24', reason: 'net', seconds: 1200 });
    const acct = await t.dir.addBan({ kind: 'account', subject: 'alice@example.com', reason: 'acct', seconds: 60 });
    const subjects = { ip: '192.0.2.7', subnet: '198.51.100.0/24', account: 'Alice@Example.com' };
    assert.deepEqual(await t.dir.activeBans(subjects), [ip, net, acct]);
    assert.deepEqual(await t.dir.activeBans({ ip: '192.0.2.7' }), [ip]);
    assert.deepEqual(await t.dir.activeBans({ ip: '::FFFF:192.0.2.7' }), [ip], 'IPv4-mapped IPv6 is the IPv4 address');
    assert.deepEqual(await t.dir.activeBans({ subnet: '198.51.100.77/24' }), [net], 'host bits are cleared for the lookup');
    assert.deepEqual(await t.dir.activeBans({ account: 'alice@example.com' }), [acct]);
    // The kind must match too: an IP ban is not an account ban, and so on.
    assert.deepEqual(await t.dir.activeBans({ subnet: '192.0.2.7', account: '192.0.2.7' }), []);
    assert.deepEqual(await t.dir.activeBans({ ip: '192.0.2.8', subnet: '198.51.101.0/24', account: 'bob@example.com' }), []);
    // Malformed subjects from the network match nothing.
    assert.deepEqual(await t.dir.activeBans({ ip: 'nonsense', subnet: 'x/y', account: 'nobody' }), []);
    assert.deepEqual(await t.dir.activeBans({ ip: '', subnet: '', account: '' }), []);

    time.advance(60);
    assert.deepEqual(await t.dir.activeBans(subjects), [ip, net], 'the account ban expired (expires_at is exclusive)');
    time.advance(600 - 60 - 1);
    assert.deepEqual(await t.dir.activeBans(subjects), [ip, net]);
    time.advance(1);
    assert.deepEqual(await t.dir.activeBans(subjects), [net]);
    time.advance(600);
    assert.deepEqual(await t.dir.activeBans(subjects), []);
  });

  it('lists bans in force newest first, or all of them', async () => {
    assert.deepEqual(await t.dir.listBans(), []);
    await t.dir.addBan({ kind: 'ip', subject: '192.0.2.1', reason: 'oldest', seconds: 60 });
    time.advance(10);
    await t.dir.addBan({ kind: 'ip', subject: '192.0.2.2', reason: 'middle', seconds: 3600 });
    time.advance(10);
    await t.dir.addBan({ kind: 'account', subject: 'bob@example.com', reason: 'newest', seconds: 3600 });
    assert.deepEqual((await t.dir.listBans()).map((b) => b.reason), ['newest', 'middle', 'oldest']);
    assert.equal((await t.dir.listBans())[0]?.liftedAt, null);
    time.advance(60);
    await t.dir.liftBans('bob@example.com');
    assert.deepEqual((await t.dir.listBans()).map((b) => b.reason), ['middle']);
    assert.deepEqual((await t.dir.listBans({ all: false })).map((b) => b.reason), ['middle']);
    const all = await t.dir.listBans({ all: true });
    assert.deepEqual(all.map((b) => [b.reason, b.liftedAt]), [['newest', at(80)], ['middle', null], ['oldest', null]]);
  });

  it('lifts the bans in force on a subject, of every kind', async () => {
    await t.dir.addBan({ kind: 'ip', subject: '2001:db8::7', reason: 'a', seconds: 600 });
    await t.dir.addBan({ kind: 'subnet', subject: '2001:db8::/48', reason: 'b', seconds: 600 });
    await t.dir.addBan({ kind: 'account', subject: 'alice@example.com', reason: 'c', seconds: 600 });
    await t.dir.addBan({ kind: 'ip', subject: '192.0.2.9', reason: 'd', seconds: 10 });
    time.advance(30);
    assert.equal(await t.dir.liftBans('2001:DB8:0:0:0:0:0:7'), 1, 'canonical IP text');
    assert.equal(await t.dir.liftBans('2001:db8::7'), 0, 'already lifted');
    assert.equal(await t.dir.liftBans('2001:DB8:0::/48'), 1, 'canonical CIDR text');
    assert.equal(await t.dir.liftBans(' ALICE@example.com '), 1);
    assert.equal(await t.dir.liftBans('192.0.2.9'), 0, 'expired bans are not in force');
    assert.equal(await t.dir.liftBans('nobody'), 0);
    await assert.rejects(t.dir.liftBans(''), rejectsInvalid(/subject is required/));
    await assert.rejects(t.dir.liftBans('192.0.2.7/24'), rejectsInvalid(/host bits/));
    assert.deepEqual(await t.dir.activeBans({ ip: '2001:db8::7', subnet: '2001:db8::/48', account: 'alice@example.com' }), []);
    // A lifted ban does not stand in the way of a new one.
    const fresh = await t.dir.addBan({ kind: 'ip', subject: '2001:db8::7', reason: 'again', seconds: 60 });
    assert.equal(fresh.createdAt, at(30));
    assert.equal((await t.dir.activeBans({ ip: '2001:db8::7' })).length, 1);
  });

  it('prunes bans that expired or were lifted more than a given time ago', async () => {
    await t.dir.addBan({ kind: 'ip', subject: '192.0.2.1', reason: 'expires at 60', seconds: 60 });
    await t.dir.addBan({ kind: 'ip', subject: '192.0.2.2', reason: 'lifted at 100', seconds: 86400 });
    await t.dir.addBan({ kind: 'ip', subject: '192.0.2.3', reason: 'in force', seconds: 86400 });
    await t.dir.addBan({ kind: 'ip', subject: '192.0.2.4', reason: 'expires at 500', seconds: 500 });
    time.set(at(100));
    await t.dir.liftBans('192.0.2.2');
    time.set(at(1000));
    assert.equal(await t.dir.pruneBans(3600), 0);
    assert.equal(await t.dir.pruneBans(900), 2, 'ended at 60 and lifted at 100');
    assert.deepEqual((await t.dir.listBans({ all: true })).map((b) => b.subject).sort(), ['192.0.2.3', '192.0.2.4']);
    assert.equal(await t.dir.pruneBans(0), 1, 'everything that has ended');
    assert.deepEqual((await t.dir.listBans({ all: true })).map((b) => b.subject), ['192.0.2.3']);
    await assert.rejects(t.dir.pruneBans(-1), rejectsInvalid(/whole number of seconds/));
  });

  it('uses the (subject, expires_at) index for the login-time lookup', async () => {
    await t.dir.addBan({ kind: 'ip', subject: '192.0.2.7', reason: 'x', seconds: 60 });
    await t.dir.close();
    const raw = openSqlite(t.file);
    try {
      const sql = `explain query plan select * from bans where subject in (?, ?, ?) and expires_at > ? and lifted_at is null
        and ((kind = 'ip' and subject = ?) or (kind = 'subnet' and subject = ?) or (kind = 'account' and subject = ?))`;
      const plan = (raw.prepare(sql).all(['a', 'b', 'c', T0, 'a', 'b', 'c']) as Array<{ detail: string }>).map((r) => r.detail).join('\n');
      assert.match(plan, /USING INDEX bans_subject_expires_at \(subject=\? AND expires_at>\?\)/);
      assert.throws(() => raw.prepare(`insert into bans (kind, subject, reason, created_at, expires_at) values ('host', 'x', '', '', '')`).run([]), /CHECK/);
      assert.throws(() => raw.prepare(`insert into bans (kind, subject, reason, created_at, expires_at) values ('ip', '', '', '', '')`).run([]), /CHECK/);
    } finally {
      raw.close();
    }
  });

  it('normalises subjects for lifting like addBan does', () => {
    assert.equal(normaliseBanSubject(' 2001:DB8::0:7 '), '2001:db8::7');
    assert.equal(normaliseBanSubject('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(normaliseBanSubject('10.0.0.0/8'), '10.0.0.0/8');
    assert.equal(normaliseBanSubject('Bob@Example.ORG'), 'bob@example.org');
    assert.equal(normaliseBanSubject('Something Else'), 'something else');
    assert.equal(parseBanSubject('subnet', '2001:db8:0::/32'), '2001:db8::/32');
  });
});

describe('bans seen by a running server', () => {
  it('a ban added or lifted by another process (the CLI) applies within a tenth of a second', async () => {
    const t = await openTempDirectory();
    const cli = await openDirectory({ kind: 'sqlite', path: t.file });
    try {
      const server = t.dir;
      assert.deepEqual(await server.activeBans({ ip: '192.0.2.9' }), []);
      await cli.addBan({ kind: 'ip', subject: '192.0.2.9', reason: 'by hand', seconds: 600 });
      await new Promise((r) => setTimeout(r, 150));
      assert.equal((await server.activeBans({ ip: '192.0.2.9' }))[0]?.reason, 'by hand');
      assert.equal(await cli.liftBans('192.0.2.9'), 1);
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(await server.activeBans({ ip: '192.0.2.9' }), []);
      // Its own changes apply at once.
      await server.addBan({ kind: 'account', subject: 'a@example.com', reason: 'x', seconds: 60 });
      assert.equal((await server.activeBans({ account: 'a@example.com' })).length, 1);
      await server.liftBans('a@example.com');
      assert.deepEqual(await server.activeBans({ account: 'a@example.com' }), []);
    } finally {
      await cli.close();
      await t.cleanup();
    }
  });
});
