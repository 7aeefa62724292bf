/** `postern bans ...` driven through commander against a real SQLite directory, with a test clock. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Command } from 'commander';
import { directoryAt, expectFailure, expectOk, runCli, type CliResult } from './test-support.js';
import { manualClock, tempFolder } from '../store/test-support.js';
import { parseDuration, registerBansCommands, relativeTime } from './bans-commands.js';


const T0 = '2030-01-01T00:00:00.000Z';

describe('bans commands', () => {
  let tmp: ReturnType<typeof tempFolder>;
  let file: string;
  let time: ReturnType<typeof manualClock>;
  const withDirectory = directoryAt(() => file, () => ({ clock: time.clock }));

  function cli(...args: string[]): Promise<CliResult> {
    return runCli((program, out) => registerBansCommands(program, { withDirectory, out, now: time.clock }), args);
  }
  const ok = async (...args: string[]): Promise<string> => expectOk(await cli(...args), args);
  const fails = async (args: string[], pattern: RegExp): Promise<void> => expectFailure(await cli(...args), args, pattern);

  beforeEach(() => {
    tmp = tempFolder();
    file = path.join(tmp.folder, 'directory.db');
    time = manualClock(T0);
  });
  afterEach(() => tmp.remove());

  it('lists, adds and lifts bans', async () => {
    assert.equal(await ok('bans', 'list'), 'no bans in force\n');
    assert.equal(await ok('bans', 'list', '--json'), '[]\n');

    assert.equal(await ok('bans', 'add', '192.0.2.7', '--kind', 'ip', '--for', '30m'), 'banned ip 192.0.2.7 until 2030-01-01T00:30:00.000Z (in 30m)\n');
    time.advance(60);
    await ok('bans', 'add', 'Alice@Example.com', '--kind', 'account', '--for', '1d', '--reason', '15 wrong passwords in 15 minutes');
    time.advance(60);
    await ok('bans', 'add', '2001:DB8::/48', '--kind', 'subnet', '--for', '2h30m');

    const table = (await ok('bans', 'list')).trimEnd().split('\n');
    assert.deepEqual(table, [
      'KIND     SUBJECT            REASON                            SINCE   UNTIL',
      'subnet   2001:db8::/48      added by hand                     now     in 2h30m',
      'account  alice@example.com  15 wrong passwords in 15 minutes  1m ago  in 23h59m',
      'ip       192.0.2.7          added by hand                     2m ago  in 28m',
    ]);

    const json = JSON.parse(await ok('bans', 'list', '--json')) as Array<Record<string, unknown>>;
    assert.deepEqual(json[1], {
      id: 2,
      kind: 'account',
      subject: 'alice@example.com',
      reason: '15 wrong passwords in 15 minutes',
      createdAt: '2030-01-01T00:01:00.000Z',
      expiresAt: '2030-01-02T00:01:00.000Z',
      liftedAt: null,
      inForce: true,
    });

    assert.equal(await ok('bans', 'lift', '192.0.2.7'), 'lifted 1 ban on 192.0.2.7\n');
    assert.equal(await ok('bans', 'lift', 'ALICE@example.com'), 'lifted 1 ban on alice@example.com\n');
    await fails(['bans', 'lift', '192.0.2.7'], /^error: no ban in force on "192\.0\.2\.7" \(see "postern bans list"\)\n$/);
    await fails(['bans', 'lift', 'x'], /^error: no ban in force on "x" \(see "postern bans list"\)\n$/);
    await fails(['bans', 'lift', '10.0.0.1/8'], /^error: "10\.0\.0\.1\/8" has host bits set/);

    assert.deepEqual((await ok('bans', 'list')).split('\n').slice(1, -1).map((l) => l.split(/\s+/)[1]), ['2001:db8::/48']);
    time.advance(3 * 3600);
    assert.equal(await ok('bans', 'list'), 'no bans in force\n');
    const all = (await ok('bans', 'list', '--all')).trimEnd().split('\n');
    assert.match(all[1] ?? '', /^subnet\s+2001:db8::\/48\s+added by hand\s+3h ago\s+ended 30m ago$/);
    assert.match(all[2] ?? '', /^account\s+alice@example\.com\s+.*\s+3h1m ago\s+lifted 3h ago$/);
    assert.match(all[3] ?? '', /^ip\s+192\.0\.2\.7\s+added by hand\s+3h2m ago\s+lifted 3h ago$/);
    const allJson = JSON.parse(await ok('bans', 'list', '--all', '--json')) as Array<{ inForce: boolean; liftedAt: string | null }>;
    assert.deepEqual(allJson.map((b) => [b.inForce, b.liftedAt]), [[false, null], [false, '2030-01-01T00:02:00.000Z'], [false, '2030-01-01T00:02:00.000Z']]);
  });

  it('extends a standing ban when added again', async () => {
    await ok('bans', 'add', '192.0.2.7', '--kind', 'ip', '--for', '1h');
    assert.equal(await ok('bans', 'add', '192.0.2.7', '--kind', 'ip', '--for', '2h', '--reason', 'again'), 'banned ip 192.0.2.7 until 2030-01-01T02:00:00.000Z (in 2h)\n');
    assert.match((await ok('bans', 'list')).split('\n')[1] ?? '', /^ip\s+192\.0\.2\.7\s+again\s+now\s+in 2h$/);
  });

  it('reports bad input with exit code 1', async () => {
    await fails(['bans', 'add', '192.0.2.7', '--for', '1h'], /required option '--kind <kind>' not specified/);
    await fails(['bans', 'add', '192.0.2.7', '--kind', 'host', '--for', '1h'], /Allowed choices are ip, subnet, account/);
    await fails(['bans', 'add', '192.0.2.7', '--kind', 'ip'], /required option '--for <duration>' not specified/);
    await fails(['bans', 'add', '192.0.2.7', '--kind', 'ip', '--for', '10'], /duration such as 30m/);
    await fails(['bans', 'add', '192.0.2.7', '--kind', 'ip', '--for', '0m'], /at least one second/);
    await fails(['bans', 'add', '192.0.2.7/24', '--kind', 'subnet', '--for', '1h'], /^error: "192\.0\.2\.7\/24" has host bits set: did you mean "192\.0\.2\.0\/24"\?\n$/);
    await fails(['bans', 'add', 'alice', '--kind', 'account', '--for', '1h'], /^error: "alice" is not an address/);
    assert.equal(await ok('bans', 'list', '--all'), 'no bans\n');
  });

  it('explains the kinds of ban in --help', async () => {
    const bans = new Command('postern');
    let help = '';
    bans.configureOutput({ writeOut: (s) => (help += s) });
    registerBansCommands(bans, { withDirectory, out: () => {} });
    bans.commands.find((c) => c.name() === 'bans')?.outputHelp();
    assert.match(help, /account\s+protects one mailbox/);
    assert.match(help, /the mailbox accepts\s+logins only from its owner's recent networks and trusted networks/);
    assert.match(help, /\$ postern bans lift 192\.0\.2\.7/);
  });

  it('parses durations and shows relative times', () => {
    assert.deepEqual(['90s', '30m', '2h', '1d', '1w', '1h30m', ' 2H '].map(parseDuration), [90, 1800, 7200, 86400, 604800, 5400, 7200]);
    assert.throws(() => parseDuration('1.5h'));
    assert.throws(() => parseDuration('h'));
    assert.throws(() => parseDuration('200000d'));
    const now = new Date(T0);
    const from = (s: number) => relativeTime(new Date(now.getTime() + s * 1000).toISOString(), now);
    assert.deepEqual([from(0), from(42), from(42 * 60), from(-300), from(3 * 3600 + 5 * 60), from(2 * 86400 + 4 * 3600 + 59), from(-86400)], [
      'now',
      'in 42s',
      'in 42m',
      '5m ago',
      'in 3h5m',
      'in 2d4h',
      '1d ago',
    ]);
  });
});
