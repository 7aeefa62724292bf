/**
 * `npm run bench [-- [--quick] [NAME...]]`: runs the benchmarks (all five, or the ones named)
 * one after the other on this machine, prints one table with the ratios and targets, and writes
 * bench/results/<timestamp>.json and .md plus bench/results/latest.md. `--quick` shortens
 * every measurement (a smoke run; its figures are not the real ones).
 *
 * Before each benchmark it waits (bounded) for the machine to be quiet, and it records how much
 * CPU other processes took meanwhile: on two cores that is the main source of noise.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../test/harness/clients.js';
import { benchArgon2 } from './argon2.js';
import { benchAuthHttp } from './auth-http.js';
import { benchDecisions } from './decisions.js';
import { benchImap } from './imap.js';
import { benchMailProxy } from './mail-proxy.js';
import { fmt, sleep, watchOtherCpu, type BenchOptions, type BenchResult, type Row } from './lib.js';

type Log = (s: string) => void;

interface Bench {
  name: string;
  run(o: BenchOptions, log: Log): Promise<BenchResult>;
  /** Why it cannot run here, if it cannot. */
  missing?: () => string | undefined;
}

const needsRoot = (): string | undefined => (process.getuid?.() === 0 ? undefined : 'needs root (Dovecot)');
const needsNginx = (): string | undefined =>
  existsSync('/usr/sbin/nginx') && existsSync('/usr/lib/nginx/modules/ngx_mail_module.so') ? undefined : 'needs nginx and libnginx-mod-mail (bash scripts/install-test-deps.sh)';
const needsDovecot = (): string | undefined => needsRoot() ?? needsNginx() ?? (existsSync('/usr/sbin/dovecot') ? undefined : 'needs dovecot-imapd (bash scripts/install-test-deps.sh)');

const BENCHES: Bench[] = [
  { name: 'auth-http', run: (o) => benchAuthHttp(o), missing: needsNginx },
  { name: 'argon2', run: (o) => benchArgon2(o) },
  { name: 'decisions', run: (o, log) => benchDecisions(o, log) },
  { name: 'imap', run: (o) => benchImap(o), missing: needsDovecot },
  { name: 'mail-proxy', run: (o) => benchMailProxy(o), missing: needsDovecot },
];

const OTHER_CPU_NOTE = 0.1;

/** Waits up to `maxMs` for one second in which other processes use under 0.15 of a core. */
async function waitForQuiet(log: Log, maxMs = 30_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  for (let said = false; Date.now() < deadline; said = true) {
    const w = watchOtherCpu();
    await sleep(1000);
    const { avgCores } = w.stop();
    if (avgCores < 0.15) return;
    if (!said) log(`  waiting for the machine to be quiet (other processes use ${fmt(avgCores, 2)} cores)…`);
  }
  log('  still busy after 30 s: measuring anyway');
}

function valueText(r: Row): string {
  const digits = r.unit.startsWith('ms') ? 2 : r.value < 100 ? 1 : 0;
  return `${fmt(r.value, digits)} ${r.unit}`;
}

const verdict = (r: Row): string => (r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL');
const pct = (r: Row): string => (r.ratio === undefined ? '' : `${fmt(r.ratio * 100, 1)}%`);

function table(results: BenchResult[]): string[][] {
  const rows: string[][] = [['benchmark', 'metric', 'value', 'compared with', 'ratio', 'target', 'result']];
  for (const b of results) for (const r of b.rows) rows.push([b.name, r.metric, valueText(r), r.versus ?? '', pct(r), r.target ?? '', verdict(r)]);
  return rows;
}

function textTable(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(rows[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function markdown(results: BenchResult[], meta: Record<string, unknown>): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const out = [`# Postern benchmarks, ${String(meta.startedAt)}`, ''];
  out.push(`Machine: ${String(meta.cpus)}, ${String(meta.memory)}, ${String(meta.os)}; Node ${String(meta.node)}; commit ${String(meta.commit)}.`, '');
  for (const b of results) {
    out.push(`## ${b.name}: ${b.title}`, '', '| metric | value | compared with | ratio | target | result |', '|---|---|---|---|---|---|');
    for (const r of b.rows) out.push(`| ${esc(r.metric)} | ${valueText(r)} | ${esc(r.versus ?? '')} | ${pct(r)} | ${r.target ?? ''} | ${verdict(r)} |`);
    out.push('', ...b.notes.map((n) => `- ${n}`), '');
  }
  return out.join('\n');
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: projectRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length > 0 || argv.includes('--help')) {
    console.error(`usage: npm run bench [-- [--quick] [${BENCHES.map((b) => b.name).join('|')} ...]]`);
    return unknown.length > 0 ? 2 : 0;
  }
  const chosen = BENCHES.filter((b) => names.length === 0 || names.includes(b.name));
  const o: BenchOptions = { scale: quick ? 0.25 : 1 };
  const log: Log = (s) => console.log(s);
  const startedAt = new Date();
  const results: BenchResult[] = [];
  for (const b of chosen) {
    const why = b.missing?.();
    if (why) {
      log(`skipping ${b.name}: ${why}`);
      results.push({ name: b.name, title: 'skipped', rows: [], notes: [`Skipped: ${why}.`], data: {} });
      continue;
    }
    log(`running ${b.name}…`);
    await waitForQuiet(log);
    const watch = watchOtherCpu();
    const t0 = performance.now();
    let r: BenchResult;
    try {
      r = await b.run(o, log);
    } catch (err) {
      r = { name: b.name, title: 'failed', rows: [], notes: [`Failed: ${(err as Error).stack ?? String(err)}`], data: {} };
    }
    const other = watch.stop();
    r.data.otherCpu = other;
    r.data.seconds = (performance.now() - t0) / 1000;
    if (other.avgCores >= OTHER_CPU_NOTE) {
      r.notes.push(`Other processes on this machine used ${fmt(other.avgCores, 2)} cores on average (peak ${fmt(other.peakCores, 2)}) during this benchmark: its figures are less reliable.`);
    }
    if (quick) r.notes.push('Quick run (--quick): shortened measurements, not the real figures.');
    log(`  done in ${fmt(r.data.seconds as number, 0)} s`);
    results.push(r);
  }

  const meta = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick,
    node: process.version,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}`,
    memory: `${fmt(os.totalmem() / 2 ** 30, 0)} GiB`,
    os: `${os.type()} ${os.release()}`,
    commit: `${git(['rev-parse', '--short', 'HEAD'])}${git(['status', '--porcelain']) === '' ? '' : ' + local changes'}`,
  };
  console.log(`\n${textTable(table(results))}`);
  for (const b of results) for (const n of b.notes) console.log(`  [${b.name}] ${n.split('\n')[0]}`);

  const dir = join(projectRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = meta.startedAt.replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stamp}.json`), JSON.stringify({ meta, results }, null, 2) + '\n');
  writeFileSync(join(dir, `${stamp}.md`), markdown(results, meta));
  copyFileSync(join(dir, `${stamp}.md`), join(dir, 'latest.md'));
  console.log(`\nresults: bench/results/${stamp}.json, bench/results/${stamp}.md, bench/results/latest.md`);
  const failed = results.some((b) => b.title === 'failed');
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
