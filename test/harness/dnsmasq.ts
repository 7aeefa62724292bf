// test/harness/dnsmasq.ts
// Debian's dnsmasq (package dnsmasq-base) as a small authoritative DNS server for tests, from
// its own temporary folder: `dnsmasq --keep-in-foreground` (the spawned process is the server;
// unlike --no-daemon it writes its pid file, once its sockets are bound) on 127.0.0.1 at a free
// port, UDP and TCP, with no upstream (--no-resolv), no /etc/hosts (--no-hosts), and records
// only from a hosts file (each address's A/AAAA and PTR) plus extra PTR records. Names under
// `domains` and reverse lookups of private or loopback addresses with no record answer NXDOMAIN
// (--local, --bogus-priv), as an authoritative server would. Queries are logged.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { freePort, LOOPBACK } from './ports.js';
import { readTextOr, superviseChild, waitUntilReady } from './supervise.js';
import { makeTempDir, removeTempDir } from './tmp.js';

export interface DnsmasqOptions {
  /** Hosts-file lines: each address gets A/AAAA records for its names and a PTR to the first. */
  hosts?: Array<{ address: string; names: string[] }>;
  /** PTR records only (no forward record is made): e.g. a name that does not lead back. */
  ptr?: Array<{ address: string; name: string }>;
  /** Domains answered from these records alone (NXDOMAIN otherwise); default ['test']. */
  domains?: string[];
  /** Domains whose queries are never answered (sent on to a closed port): lookups time out. */
  unanswered?: string[];
  label?: string;
  startTimeoutMs?: number;
}

export interface DnsmasqHandle {
  dir: string;
  pid: number;
  port: number;
  /** `127.0.0.1:PORT`, as a resolver setting takes it. */
  server: string;
  /** dnsmasq's output so far (start-up lines and one line per query). */
  log(): string;
  pids(): number[];
  /** SIGTERM, wait, remove the folder. Idempotent. */
  stop(): Promise<void>;
}

/** `192.0.2.7` → `7.2.0.192.in-addr.arpa`; IPv6 nibble by nibble under ip6.arpa. */
export function reverseName(address: string): string {
  if (isIP(address) === 4) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  if (isIP(address) !== 6) throw new Error(`reverseName: not an IP address: ${address}`);
  const [head = '', tail = ''] = address.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const missing = 8 - groups(head).length - groups(tail).length;
  const full = [...groups(head), ...Array<string>(address.includes('::') ? missing : 0).fill('0'), ...groups(tail)];
  return `${full.map((g) => g.padStart(4, '0')).join('').split('').reverse().join('.')}.ip6.arpa`;
}

const SAFE = /^[A-Za-z0-9._-]+$/;

export async function startDnsmasq(opts: DnsmasqOptions = {}): Promise<DnsmasqHandle> {
  const dir = makeTempDir(opts.label ?? 'dnsmasq');
  const hostsPath = join(dir, 'hosts');
  const pidPath = join(dir, 'dnsmasq.pid');
  let port = 0;
  const args: string[] = [];
  try {
    port = await freePort();
    const lines = (opts.hosts ?? []).map((h) => {
      if (isIP(h.address) === 0 || h.names.length === 0 || !h.names.every((n) => SAFE.test(n))) throw new Error(`startDnsmasq: bad hosts entry ${JSON.stringify(h)}`);
      return `${h.address} ${h.names.join(' ')}`;
    });
    writeFileSync(hostsPath, lines.join('\n') + '\n', { mode: 0o644 });
    args.push(
      '--keep-in-foreground',
      '--no-resolv',
      '--no-hosts',
      '--no-poll',
      `--addn-hosts=${hostsPath}`,
      `--listen-address=${LOOPBACK}`,
      '--bind-interfaces',
      `--port=${port}`,
      '--bogus-priv',
      '--log-queries',
      '--log-facility=-',
      `--pid-file=${pidPath}`,
    );
    for (const d of [...(opts.domains ?? ['test']), ...(opts.unanswered ?? [])]) {
      if (!SAFE.test(d)) throw new Error(`startDnsmasq: bad domain ${JSON.stringify(d)}`);
    }
    for (const d of opts.domains ?? ['test']) args.push(`--local=/${d}/`);
    // UDP port 9 (discard) on loopback: nothing answers, so dnsmasq waits and the client times out.
    for (const d of opts.unanswered ?? []) args.push(`--server=/${d}/${LOOPBACK}#9`);
    // Names are passed as they are (dnsmasq takes underscores and the like): tests use odd ones.
    for (const p of opts.ptr ?? []) {
      if (/[,\s]/.test(p.name)) throw new Error(`startDnsmasq: a PTR name cannot hold a comma or a space: ${JSON.stringify(p.name)}`);
      args.push(`--ptr-record=${reverseName(p.address)},${p.name}`);
    }
  } catch (err) {
    removeTempDir(dir);
    throw err;
  }

  const child = superviseChild(spawn('/usr/sbin/dnsmasq', args, { stdio: ['ignore', 'pipe', 'pipe'] }), {
    name: 'dnsmasq',
    label: `dnsmasq ${dir}`,
    stopSignals: [['SIGTERM', 3000]],
    dir,
  });
  const diagnostics = (): string => `--- dnsmasq ${args.join(' ')} ---\n${child.output()}\n--- ${hostsPath} ---\n${readTextOr(hostsPath, '(missing)')}`;
  // The pid file holding our child's pid is written after the sockets were bound.
  const pid = await waitUntilReady(child, { caller: 'startDnsmasq', pidPath, ports: [port], timeoutMs: opts.startTimeoutMs ?? 10_000, diagnostics });
  return { dir, pid, port, server: `${LOOPBACK}:${port}`, log: child.output, pids: child.pids, stop: child.stop };
}
