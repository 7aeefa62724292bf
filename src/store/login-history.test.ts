/**
 * The login history on a real SQLite file: every filter (account exact and contained, IP and
 * CIDR in both families, protocol, result, time), keyset pages that list every row once even
 * when rows share a timestamp, counts per hour, the top failing addresses and accounts,
 * pruning by age, text kept printable, and the history's own writes leaving the lookups kept
 * in memory alone (while a real write still drops them).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DirectoryError } from '../directory/types.js';
import type { LoginEvent, LoginQuery } from './index.js';
import { ipKey, networkKeyRange } from './login-history.js';
import { openTempDirectory, type TempDirectory } from './test-support.js';

function ev(at: string, over: Partial<LoginEvent> = {}): LoginEvent {
  return { at, login: 'alice@example.com', mailbox: 'alice@example.com', clientIp: '192.0.2.10', protocol: 'imap', method: 'plain', result: 'ok', reason: 'ok', cache: null, appPassword: null, ...over };
}

const T = (h: number, m = 0, s = 0) => new Date(Date.UTC(2030, 0, 1, h, m, s)).toISOString();

describe('login history store', () => {
  let t: TempDirectory;
  const list = (q: Partial<LoginQuery> = {}) => t.dir.listLogins({ limit: 100, ...q });
  const ids = async (q: Partial<LoginQuery> = {}) => (await list(q)).entries.map((e) => e.login + ' ' + e.clientIp);

  beforeEach(async () => {
    t = await openTempDirectory();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('keeps each event as given and lists newest first', async () => {
    await t.dir.recordLogins([
      ev(T(9), { cache: 'hit' }),
      ev(T(10), { login: 'Bob', mailbox: 'bob@example.com', clientIp: '2001:db8::7', protocol: 'smtp', method: 'cram-md5', result: 'fail', reason: 'bad-credentials', appPassword: 'phone' }),
    ]);
    const { entries, next } = await list();
    assert.equal(next, null);
    assert.deepEqual(
      entries.map(({ id: _id, ...rest }) => rest),
      [
        { at: T(10), login: 'Bob', mailbox: 'bob@example.com', clientIp: '2001:db8::7', protocol: 'smtp', method: 'cram-md5', result: 'fail', reason: 'bad-credentials', cache: null, appPassword: 'phone' },
        { at: T(9), login: 'alice@example.com', mailbox: 'alice@example.com', clientIp: '192.0.2.10', protocol: 'imap', method: 'plain', result: 'ok', reason: 'ok', cache: 'hit', appPassword: null },
      ],
    );
  });

  it('writes batches of every size row for row (each INSERT is compiled once per row count)', async () => {
    // 403 rows: an INSERT of 400 and one of 3; then 1, 3 again and 2, each reusing or adding a compiled size.
    const batches = [403, 1, 3, 2].map((n, b) => Array.from({ length: n }, (_, i) => ev(T(b + 1, 0, 0).replace('.000Z', `.${String(i % 1000).padStart(3, '0')}Z`), { login: `u${b}-${i}`, clientIp: `192.0.2.${i % 250}`, mailbox: i % 2 ? null : `u${i}@example.com` })));
    for (const batch of batches) await t.dir.recordLogins(batch);
    const all = [];
    for (let page = await t.dir.listLogins({ limit: 500 }); ; page = await t.dir.listLogins({ limit: 500, before: page.next! })) {
      all.push(...page.entries);
      if (!page.next) break;
    }
    const want = batches.flat().map((e) => [e.login, e.at, e.clientIp, e.mailbox].join(' ')).sort();
    assert.deepEqual(all.map((e) => [e.login, e.at, e.clientIp, e.mailbox].join(' ')).sort(), want);
  });

  it('filters by account (login or mailbox, exact or contained, % and _ taken literally), protocol, result and time', async () => {
    await t.dir.recordLogins([
      ev(T(1), { login: 'alice', mailbox: 'alice@example.com' }),
      ev(T(2), { login: 'ALICE@example.com', mailbox: 'alice@example.com', protocol: 'pop3' }),
      ev(T(3), { login: 'mallory', mailbox: null, result: 'fail', reason: 'unknown-user' }),
      ev(T(4), { login: '100%_sure', mailbox: null, result: 'fail', reason: 'unknown-user' }),
      ev(T(5), { login: '1000xsure', mailbox: null, result: 'tempfail', reason: 'banned' }),
    ]);
    assert.deepEqual(await ids({ account: { value: 'alice@example.com', match: 'exact' } }), ['ALICE@example.com 192.0.2.10', 'alice 192.0.2.10'], 'the mailbox matches whatever was typed');
    assert.deepEqual(await ids({ account: { value: 'alice', match: 'exact' } }), ['alice 192.0.2.10']);
    assert.deepEqual(await ids({ account: { value: 'LIC', match: 'contains' } }), ['ALICE@example.com 192.0.2.10', 'alice 192.0.2.10']);
    assert.deepEqual(await ids({ account: { value: '0%_s', match: 'contains' } }), ['100%_sure 192.0.2.10'], 'no wildcard from the filter');
    assert.deepEqual(await ids({ protocol: 'pop3' }), ['ALICE@example.com 192.0.2.10']);
    assert.deepEqual(await ids({ result: 'fail' }), ['100%_sure 192.0.2.10', 'mallory 192.0.2.10']);
    assert.deepEqual(await ids({ since: T(2), until: T(4) }), ['mallory 192.0.2.10', 'ALICE@example.com 192.0.2.10'], 'since <= at < until');
  });

  it('filters by client IP or CIDR in both families; an IPv4-mapped address is its IPv4 address', async () => {
    await t.dir.recordLogins([
      ev(T(1), { login: 'a', clientIp: '192.0.2.7' }),
      ev(T(2), { login: 'b', clientIp: '192.0.2.200' }),
      ev(T(3), { login: 'c', clientIp: '198.51.100.1' }),
      ev(T(4), { login: 'd', clientIp: '2001:db8::1' }),
      ev(T(5), { login: 'e', clientIp: '2001:db8:1::1' }),
      ev(T(6), { login: 'f', clientIp: '::ffff:192.0.2.9' }),
      ev(T(7), { login: 'g', clientIp: '' }),
    ]);
    const logins = async (network: string) => (await list({ network })).entries.map((e) => e.login).sort().join('');
    assert.equal(await logins('192.0.2.7'), 'a');
    assert.equal(await logins('192.0.2.0/24'), 'abf');
    assert.equal(await logins('192.0.2.0/25'), 'af');
    assert.equal(await logins('0.0.0.0/0'), 'abcf', 'all IPv4, no IPv6');
    assert.equal(await logins('2001:db8::/48'), 'd');
    assert.equal(await logins('2001:db8::/32'), 'de');
    assert.equal(await logins('::ffff:192.0.2.0/120'), 'abf');
    await assert.rejects(list({ network: 'not-an-ip' }), (e: unknown) => e instanceof DirectoryError && e.code === 'invalid');
    assert.equal(ipKey('192.0.2.7'), '00000000000000000000ffffc0000207');
    assert.deepEqual(networkKeyRange('10.0.0.0/8'), { lo: '00000000000000000000ffff0a000000', hi: '00000000000000000000ffff0affffff' });
  });

  it('keyset pages list every row exactly once, also when rows share a timestamp', async () => {
    const events = Array.from({ length: 23 }, (_, i) => ev(T(8, Math.floor(i / 4)), { login: `u${i}` }));
    await t.dir.recordLogins(events);
    const seen: string[] = [];
    let before: LoginQuery['before'];
    let pages = 0;
    for (;;) {
      const page = await t.dir.listLogins({ limit: 5, ...(before ? { before } : {}), result: 'ok' });
      seen.push(...page.entries.map((e) => e.login));
      pages++;
      if (!page.next) break;
      before = page.next;
    }
    assert.equal(pages, 5);
    assert.equal(seen.length, 23);
    assert.deepEqual([...seen].sort(), events.map((e) => e.login).sort());
    const times = (await list()).entries.map((e) => e.at);
    assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  });

  it('counts per hour and result, and names the top failing IPs and accounts since a time', async () => {
    await t.dir.recordLogins([
      ev(T(8, 5)),
      ev(T(8, 59, 59)),
      ev(T(9, 0), { result: 'fail', reason: 'bad-credentials', clientIp: '203.0.113.66' }),
      ev(T(9, 10), { result: 'fail', reason: 'unknown-user', login: 'admin', mailbox: null, clientIp: '203.0.113.66' }),
      ev(T(9, 20), { result: 'fail', reason: 'unknown-user', login: 'admin', mailbox: null, clientIp: '198.51.100.23' }),
      ev(T(9, 30), { result: 'tempfail', reason: 'banned', clientIp: '203.0.113.66' }),
      ev(T(7), { result: 'fail', reason: 'bad-credentials', clientIp: '192.0.2.99' }),
    ]);
    assert.deepEqual(await t.dir.countLoginsPerHour(T(8), T(10)), [
      { hour: T(8), result: 'ok', count: 2 },
      { hour: T(9), result: 'fail', count: 3 },
      { hour: T(9), result: 'tempfail', count: 1 },
    ]);
    assert.deepEqual(await t.dir.topFailing('ip', T(8), 10), [
      { subject: '203.0.113.66', failures: 2, lastAt: T(9, 10) },
      { subject: '198.51.100.23', failures: 1, lastAt: T(9, 20) },
    ]);
    assert.deepEqual(await t.dir.topFailing('account', T(8), 10), [
      { subject: 'admin', failures: 2, lastAt: T(9, 20) },
      { subject: 'alice@example.com', failures: 1, lastAt: T(9, 0) },
    ]);
    assert.equal((await t.dir.topFailing('ip', T(8), 1)).length, 1);
  });

  it('prunes the rows older than the cutoff and says how many', async () => {
    await t.dir.recordLogins([ev('2029-11-01T00:00:00.000Z'), ev('2029-12-01T23:59:59.999Z'), ev('2029-12-02T00:00:00.000Z'), ev('2030-01-01T00:00:00.000Z')]);
    assert.equal(await t.dir.pruneLogins('2029-12-02T00:00:00.000Z'), 2);
    assert.deepEqual((await list()).entries.map((e) => e.at), ['2030-01-01T00:00:00.000Z', '2029-12-02T00:00:00.000Z']);
    assert.equal(await t.dir.pruneLogins('2029-12-02T00:00:00.000Z'), 0);
    assert.deepEqual(
      (await t.dir.countLoginsPerHour('2029-01-01T00:00:00.000Z', '2031-01-01T00:00:00.000Z')).map((c) => [c.hour, c.count]),
      [['2029-12-02T00:00:00.000Z', 1], ['2030-01-01T00:00:00.000Z', 1]],
      'the hourly counts of the pruned hours went with them',
    );
  });

  it('prunes in slices: more rows than one transaction deletes, all of them', async () => {
    await t.dir.recordLogins(Array.from({ length: 12_345 }, (_, i) => ev(T(1, 0, i % 60), { login: `old${i}` })));
    await t.dir.recordLogins([ev(T(5))]);
    assert.equal(await t.dir.pruneLogins(T(2)), 12_345);
    assert.deepEqual((await list()).entries.map((e) => e.at), [T(5)]);
  });

  it('keeps logins printable and bounded, and writes thousands of rows in one call', async () => {
    await t.dir.recordLogins([ev(T(1), { login: `evil\r\nAuth-Status: OK${'x'.repeat(400)}`, mailbox: null })]);
    const [e] = (await list()).entries;
    assert.ok(e);
    assert.ok(e.login.startsWith('evil\\x0d\\x0aAuth-Status: OK'));
    assert.equal(e.login.length, 256);
    await t.dir.recordLogins(Array.from({ length: 5000 }, (_, i) => ev(T(2, 0, i % 60), { login: `bulk${i}` })));
    assert.equal((await t.dir.countLoginsPerHour(T(0), T(3))).reduce((n, c) => n + c.count, 0), 5001);
  });

  it("the history's own writes leave the lookups kept in memory alone; a directory write still drops them", async () => {
    await t.dir.addDomain('example.com');
    await t.dir.addMailbox({ address: 'alice@example.com', passwordHash: '{PLAIN}pw' });
    const first = await t.dir.findLogin('alice@example.com');
    assert.ok(first);
    await t.dir.recordLogins([ev(T(1)), ev(T(2))]);
    await t.dir.pruneLogins(T(2));
    assert.equal(await t.dir.findLogin('alice@example.com'), first, 'the same remembered object: nothing was reloaded');
    await t.dir.changeMailbox('alice@example.com', { enabled: false });
    const after = await t.dir.findLogin('alice@example.com');
    assert.notEqual(after, first);
    assert.equal(after?.mailbox.enabled, false, 'the change shows at once');
  });
});
