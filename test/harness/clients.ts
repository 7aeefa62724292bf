// test/harness/clients.ts
// Runs real mail clients and returns exactly what they saw, as structured data:
//   - the Python clients in test/clients/ (imaplib, poplib, smtplib), one JSON in, one out;
//   - curl and swaks, returning {code, stdout, stderr};
//   - rawSession(): a Node line client for exact-byte assertions on what nginx sends.
// Scripts are found from the project root, located by walking up from this file to the
// package.json named "postern" (works from dist/test/harness/ and from test/harness/).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { LOOPBACK } from './ports.js';

function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'postern') return dir;
      } catch {
        // keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('clients.ts: cannot find the project root (package.json "postern")');
    dir = up;
  }
}

/** Absolute path of the project root. */
export const projectRoot: string = findProjectRoot();
/** Absolute path of test/clients/. */
export const clientsDir: string = join(projectRoot, 'test', 'clients');

export interface ProcessResult {
  /** Exit code (null when killed by a signal, e.g. at the timeout). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string | Buffer;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Run a program (no shell) and collect its output. Never rejects for a non-zero exit. */
export function runProcess(cmd: string, args: string[], opts: RunOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? projectRoot,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 20_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** `curl ARGS` (add -sS, -k, --max-time yourself as needed). */
export function runCurl(args: string[], opts: RunOptions = {}): Promise<ProcessResult> {
  return runProcess('curl', args, opts);
}

/** `swaks ARGS` (e.g. ['--server', `127.0.0.1:${port}`, '--to', 'x@y.test']). */
export function runSwaks(args: string[], opts: RunOptions = {}): Promise<ProcessResult> {
  return runProcess('swaks', args, opts);
}

// ---------------------------------------------------------------------------------------
// Python clients

/** Credentials: text (sent as UTF-8) or raw bytes. */
export type Credential = string | Buffer;

interface CommonArgs {
  port: number;
  host?: string;
  timeout?: number;
  tls?: 'none' | 'starttls' | 'implicit';
  /** Verify the server certificate against this PEM (else any certificate is accepted). */
  cafile?: string;
  /** Client certificate (PEM path) to present in the TLS handshake; see certs.ts. */
  certfile?: string;
  /** Its private key (PEM path); default: in certfile. */
  keyfile?: string;
  user?: Credential;
  password?: Credential;
}

export interface ImapClientArgs extends CommonArgs {
  mech?: 'login' | 'plain' | 'authlogin' | 'cram-md5' | 'external' | 'none';
  /** PLAIN and EXTERNAL authorization identity (default empty). */
  authzid?: Credential;
  /** EXTERNAL: send the response on the command line (SASL-IR) instead of after '+'. */
  sasl_ir?: boolean;
  /** EXTERNAL: what stands for an empty authzid, '=' (default) or '' (an empty line). */
  empty_response?: '=' | '';
  login_mode?: 'auto' | 'imaplib' | 'quoted' | 'literal';
  select?: string;
  fetch?: boolean;
}

export interface Pop3ClientArgs extends CommonArgs {
  mech?: 'user' | 'plain' | 'plain-continue' | 'login' | 'apop' | 'cram-md5' | 'none';
  authzid?: Credential;
  stat?: boolean;
  retr?: number;
}

export interface SmtpClientArgs extends CommonArgs {
  /** 'external': AUTH EXTERNAL, response after the 334; 'external-ir': AUTH EXTERNAL <response>. */
  mech?: 'plain' | 'plain-continue' | 'login' | 'cram-md5' | 'external' | 'external-ir' | 'none';
  /** PLAIN and EXTERNAL authorization identity (default empty). */
  authzid?: Credential;
  /** EXTERNAL: what stands for an empty authzid, '=' (default) or '' (an empty line). */
  empty_response?: '=' | '';
  ehlo_name?: string;
  helo?: boolean;
  mail_from?: string;
  rcpt_to?: string[];
  data?: string;
  subject?: string;
}

interface ClientResultBase {
  ok: boolean;
  /** Where it stopped: connect, starttls, login/auth, select, fetch, stat, retr, mail, ..., done. */
  stage: string;
  error: string | null;
  /** Every line, prefixed 'S: ' (server) or 'C: ' (client). */
  transcript: string[];
  traceback?: string;
}

export interface ImapClientResult extends ClientResultBase {
  greeting?: string;
  capability?: string[];
  /** challenge: EXTERNAL only, the text after '+ ' of the continuation (null without one). */
  login?: { ok: boolean; tagged: string | null; mode?: string; challenge?: string | null };
  select?: { ok: boolean; exists: number | null; tagged: string | null };
  messages?: Array<{ seq: number | null; subject: string | null; size: number | null }>;
}

export interface Pop3ClientResult extends ClientResultBase {
  greeting?: string;
  login?: { ok: boolean; reply: string };
  stat?: { count: number; size: number };
  retr?: { reply: string; subject: string | null; text: string };
}

export interface SmtpReply {
  code: number;
  text: string;
}

export interface SmtpClientResult extends ClientResultBase {
  greeting?: SmtpReply;
  ehlo?: SmtpReply & { features: Record<string, string> };
  starttls?: SmtpReply;
  auth?: SmtpReply;
  /** EXTERNAL only: the 334 prompt before the response, if any. */
  auth_challenge?: SmtpReply;
  mail?: SmtpReply;
  rcpt?: SmtpReply[];
  data?: SmtpReply;
}

const CRED_KEYS = ['user', 'password', 'authzid'] as const;

/** JSON with every non-ASCII character escaped (safe as a command-line argument). */
function asciiJson(v: unknown): string {
  return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function toWire(args: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(args as Record<string, unknown>) };
  for (const k of CRED_KEYS) {
    const v = out[k];
    if (Buffer.isBuffer(v)) {
      delete out[k];
      out[`${k}_b64`] = v.toString('base64');
    }
  }
  return out;
}

/** Run test/clients/<script> with one JSON argument and parse its JSON output. */
export async function runPythonClient<T>(script: string, args: object, timeoutMs = 30_000): Promise<T> {
  const path = join(clientsDir, script);
  const res = await runProcess('python3', ['-B', path, asciiJson(toWire(args))], {
    timeoutMs,
    env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1' },
  });
  const line = res.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(
      `${script} did not print JSON (exit ${res.code ?? res.signal}${res.timedOut ? ', timed out' : ''})\n` +
        `stdout: ${res.stdout}\nstderr: ${res.stderr}`,
    );
  }
}

export function runImapClient(args: ImapClientArgs, timeoutMs?: number): Promise<ImapClientResult> {
  return runPythonClient<ImapClientResult>('imap_client.py', args, timeoutMs);
}

export function runPop3Client(args: Pop3ClientArgs, timeoutMs?: number): Promise<Pop3ClientResult> {
  return runPythonClient<Pop3ClientResult>('pop3_client.py', args, timeoutMs);
}

export function runSmtpClient(args: SmtpClientArgs, timeoutMs?: number): Promise<SmtpClientResult> {
  return runPythonClient<SmtpClientResult>('smtp_client.py', args, timeoutMs);
}

// ---------------------------------------------------------------------------------------
// Raw line session

export interface RawSession {
  /** Every complete line received so far (CRLF stripped), as UTF-8 text. */
  readonly lines: string[];
  /** The same lines as raw bytes (CRLF stripped). */
  readonly rawLines: Buffer[];
  /** Next unread line (UTF-8), waiting up to timeoutMs (default 5000). */
  readLine(timeoutMs?: number): Promise<string>;
  /** Next unread line as bytes. */
  readLineBytes(timeoutMs?: number): Promise<Buffer>;
  /** Send a line; CRLF is appended. */
  send(line: string | Buffer): void;
  /** Send bytes exactly as given. */
  sendRaw(data: string | Buffer): void;
  /**
   * Read lines until one matches (exact string or RegExp); returns it. Throws with the lines
   * seen on timeout or when the connection closes first.
   */
  expect(pattern: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Send a line, then expect. */
  command(line: string | Buffer, pattern: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Upgrade to TLS (after STARTTLS/STLS was accepted); certificates are not checked. */
  startTls(servername?: string): Promise<void>;
  /** Resolve true when the peer has closed (EOF) within timeoutMs. */
  waitClosed(timeoutMs?: number): Promise<boolean>;
  readonly closed: boolean;
  close(): void;
}

export interface RawSessionOptions {
  host?: string;
  /** Implicit TLS. */
  tls?: boolean;
  /** Implicit TLS: client certificate and key (PEM file paths) to present. */
  cert?: string;
  key?: string;
  /** Local (source) address to connect from, e.g. '127.0.0.2'. */
  localAddress?: string;
  connectTimeoutMs?: number;
}

/** Connect to host:port and return a line-oriented session. */
export async function rawSession(port: number, opts: RawSessionOptions = {}): Promise<RawSession> {
  const host = opts.host ?? LOOPBACK;
  let sock: Socket | TLSSocket = await new Promise<Socket | TLSSocket>((resolve, reject) => {
    const local = opts.localAddress !== undefined ? { localAddress: opts.localAddress } : {};
    const s: Socket | TLSSocket = opts.tls
      ? tlsConnect({
          host,
          port,
          rejectUnauthorized: false,
          servername: 'localhost',
          ...local,
          ...(opts.cert !== undefined ? { cert: readFileSync(opts.cert) } : {}),
          ...(opts.key !== undefined ? { key: readFileSync(opts.key) } : {}),
        })
      : connect({ host, port, ...local });
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`rawSession: connect to ${host}:${port} timed out`));
    }, opts.connectTimeoutMs ?? 5000);
    s.once(opts.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(t);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });

  const lines: string[] = [];
  const rawLines: Buffer[] = [];
  let pending = Buffer.alloc(0);
  let readIndex = 0;
  let closed = false;
  let wake: Array<() => void> = [];
  const notify = (): void => {
    const w = wake;
    wake = [];
    for (const f of w) f();
  };

  const attach = (s: Socket | TLSSocket): void => {
    s.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      let i: number;
      while ((i = pending.indexOf(0x0a)) >= 0) {
        let line = pending.subarray(0, i);
        if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
        rawLines.push(Buffer.from(line));
        lines.push(line.toString('utf8'));
        pending = pending.subarray(i + 1);
      }
      notify();
    });
    s.on('end', () => {
      closed = true;
      notify();
    });
    s.on('close', () => {
      closed = true;
      notify();
    });
    s.on('error', () => {
      closed = true;
      notify();
    });
  };
  attach(sock);

  const waitFor = async (cond: () => boolean, timeoutMs: number): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        wake.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  };

  const seen = (): string =>
    `lines received:\n${lines.map((l, n) => `${n < readIndex ? ' ' : '>'} ${l}`).join('\n')}` +
    (pending.length ? `\npartial: ${JSON.stringify(pending.toString('utf8'))}` : '');

  const readLineBytes = async (timeoutMs = 5000): Promise<Buffer> => {
    const ok = await waitFor(() => readIndex < rawLines.length || closed, timeoutMs);
    if (readIndex < rawLines.length) return rawLines[readIndex++] as Buffer;
    throw new Error(`rawSession ${host}:${port}: ${ok ? 'connection closed' : `no line within ${timeoutMs} ms`}\n${seen()}`);
  };

  const matches = (line: string, p: string | RegExp): boolean => (typeof p === 'string' ? line === p : p.test(line));

  const session: RawSession = {
    lines,
    rawLines,
    get closed() {
      return closed;
    },
    readLine: async (timeoutMs) => (await readLineBytes(timeoutMs)).toString('utf8'),
    readLineBytes,
    send(line) {
      sock.write(Buffer.concat([Buffer.isBuffer(line) ? line : Buffer.from(line, 'utf8'), Buffer.from('\r\n')]));
    },
    sendRaw(data) {
      sock.write(Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8'));
    },
    async expect(pattern, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let line: string;
        try {
          line = (await readLineBytes(Math.max(0, deadline - Date.now()))).toString('utf8');
        } catch (e) {
          throw new Error(`rawSession expect(${String(pattern)}): ${(e as Error).message}`);
        }
        if (matches(line, pattern)) return line;
      }
    },
    async command(line, pattern, timeoutMs) {
      session.send(line);
      return session.expect(pattern, timeoutMs);
    },
    async startTls(servername = 'localhost') {
      const plain = sock;
      plain.removeAllListeners('data');
      plain.removeAllListeners('end');
      plain.removeAllListeners('close');
      plain.removeAllListeners('error');
      sock = await new Promise<TLSSocket>((resolve, reject) => {
        const t = tlsConnect({ socket: plain, rejectUnauthorized: false, servername });
        t.once('secureConnect', () => {
          t.removeAllListeners('error');
          resolve(t);
        });
        t.once('error', reject);
      });
      attach(sock);
    },
    async waitClosed(timeoutMs = 5000) {
      return waitFor(() => closed, timeoutMs);
    },
    close() {
      sock.destroy();
      closed = true;
    },
  };
  return session;
}
