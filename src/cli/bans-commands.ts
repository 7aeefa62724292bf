/**
 * `postern bans list|add|lift`: the operator's view of the defence against password guessing.
 * Bans live in the directory's database (src/store/bans.ts), so a ban lifted here takes
 * effect on the running server at its next login check. Errors are reported like the
 * directory commands': `error: <message>` on stderr, exit code 1, via commander.
 */
import { actionRunner, UsageError, examples } from './action.js';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { BanKind } from '../defence/types.js';
import { DirectoryError } from '../directory/types.js';
import { BAN_KINDS, MAX_BAN_SECONDS, normaliseBanSubject, type BanRecord } from '../store/index.js';
import { formatTable, type WithDirectory } from './directory-commands.js';

export interface BansCommandDeps {
  withDirectory: WithDirectory;
  out: (line: string) => void;
  /** The clock relative times ("in 42m") are measured from; default: the system clock. */
  now?: () => Date;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `30m`, `2h`, `1d`, `1w`, `90s` or combined (`1h30m`) -> seconds. */
export function parseDuration(value: string): number {
  const text = value.trim().toLowerCase();
  if (!/^(\d+[smhdw])+$/.test(text)) {
    throw new InvalidArgumentError('give a duration such as 30m, 2h, 1d or 1h30m (units: s, m, h, d, w).');
  }
  let seconds = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([smhdw])/g)) seconds += Number(n) * (UNIT_SECONDS[unit ?? ''] ?? 0);
  if (seconds <= 0) throw new InvalidArgumentError('a ban must last at least one second.');
  if (seconds > MAX_BAN_SECONDS) throw new InvalidArgumentError('a ban lasts at most 100 years.');
  return seconds;
}

/** A span of seconds in at most two units: `42s`, `42m`, `3h5m`, `2d4h`. */
function span(seconds: number): string {
  const s = Math.abs(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  const two = (big: number, bigUnit: string, small: number, smallUnit: string) => `${big}${bigUnit}${small > 0 ? `${small}${smallUnit}` : ''}`;
  if (s < 86400) return two(Math.floor(s / 3600), 'h', Math.floor((s % 3600) / 60), 'm');
  return two(Math.floor(s / 86400), 'd', Math.floor((s % 86400) / 3600), 'h');
}

/** `in 42m`, `5m ago` or `now`, from `now`. */
export function relativeTime(iso: string, now: Date): string {
  const seconds = Math.round((Date.parse(iso) - now.getTime()) / 1000);
  if (seconds === 0) return 'now';
  return seconds > 0 ? `in ${span(seconds)}` : `${span(seconds)} ago`;
}


const BANS_HELP = `
Kinds of ban:
  ip        every login from this IP address is refused
  subnet    every login from this network (CIDR) is refused
  account   protects one mailbox under attack: while the ban stands, the mailbox accepts
            logins only from its owner's recent networks and trusted networks, so a guesser
            elsewhere gets nowhere while the owner keeps working

Postern bans by itself when it sees password guessing; bans end on their own when they
expire. Use these commands to see them, lift one early, or ban by hand.
${examples('bans list', 'bans list --all --json', 'bans lift 192.0.2.7', 'bans add 198.51.100.0/24 --kind subnet --for 1d --reason "scanner"')}`;


export function registerBansCommands(program: Command, deps: BansCommandDeps): void {
  const { withDirectory, out } = deps;
  const clock = deps.now ?? (() => new Date());

  const run = actionRunner('postern.bans');

  const bans = program
    .command('bans')
    .description('List, lift and add bans (the defence against password guessing)')
    .addHelpText('after', BANS_HELP);

  bans
    .command('list')
    .description('List the bans in force now, newest first')
    .option('--all', 'also list bans that expired or were lifted (until they are pruned)')
    .option('--json', 'print JSON (times as ISO-8601 UTC)')
    .addHelpText('after', examples('bans list', 'bans list --all', 'bans list --json'))
    .action(
      run(async (c) => {
        const o = c.opts<{ all?: boolean; json?: boolean }>();
        const rows = await withDirectory((d) => d.listBans({ all: !!o.all }));
        const now = clock();
        const inForce = (b: BanRecord) => b.liftedAt === null && Date.parse(b.expiresAt) > now.getTime();
        if (o.json) {
          out(JSON.stringify(rows.map((b) => ({ ...b, inForce: inForce(b) })), null, 2));
          return;
        }
        if (rows.length === 0) {
          out(o.all ? 'no bans' : 'no bans in force');
          return;
        }
        const until = (b: BanRecord) =>
          b.liftedAt !== null ? `lifted ${relativeTime(b.liftedAt, now)}` : inForce(b) ? relativeTime(b.expiresAt, now) : `ended ${relativeTime(b.expiresAt, now)}`;
        for (const line of formatTable(
          ['KIND', 'SUBJECT', 'REASON', 'SINCE', 'UNTIL'],
          rows.map((b) => [b.kind, b.subject, b.reason || '-', relativeTime(b.createdAt, now), until(b)]),
        )) {
          out(line);
        }
      }),
    );

  bans
    .command('lift <subject>')
    .description('End the bans in force on an IP address, network or mailbox (every kind)')
    .addHelpText('after', examples('bans lift 192.0.2.7', 'bans lift 2001:db8::/48', 'bans lift alice@example.com'))
    .action(
      run(async (_c, a) => {
        const subject = normaliseBanSubject(a[0] ?? '');
        const n = await withDirectory((d) => d.liftBans(subject));
        if (n === 0) throw new DirectoryError('not-found', `no ban in force on "${subject}" (see "postern bans list")`);
        out(`lifted ${n} ban${n === 1 ? '' : 's'} on ${subject}`);
      }),
    );

  bans
    .command('add <subject>')
    .description('Ban an IP address, a network or (see "postern bans --help") a mailbox by hand')
    .addOption(new Option('--kind <kind>', 'what <subject> is').choices(BAN_KINDS as BanKind[]).makeOptionMandatory())
    .addOption(new Option('--for <duration>', 'how long: 30m, 2h, 1d, 1w, 1h30m').argParser(parseDuration).makeOptionMandatory())
    .option('--reason <text>', 'why, for whoever reads "postern bans list"', 'added by hand')
    .addHelpText(
      'after',
      `\nBanning a subject that is already banned extends the standing ban (never shortens it).\n${examples(
        'bans add 192.0.2.7 --kind ip --for 2h',
        'bans add 2001:db8::/48 --kind subnet --for 1d --reason "credential stuffing"',
        'bans add alice@example.com --kind account --for 30m',
      )}`,
    )
    .action(
      run(async (c, a) => {
        const o = c.opts<{ kind: BanKind; for: number; reason: string }>();
        const ban = await withDirectory((d) => d.addBan({ kind: o.kind, subject: a[0] ?? '', reason: o.reason, seconds: o.for }));
        out(`banned ${ban.kind} ${ban.subject} until ${ban.expiresAt} (${relativeTime(ban.expiresAt, clock())})`);
      }),
    );
}
