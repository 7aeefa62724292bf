// test/harness/smtp-sink.ts
// An in-process SMTP backend for nginx's SMTP proxy, built on nodemailer's `smtp-server`.
// It accepts any MAIL/RCPT/DATA without authentication (AUTH is disabled unless asked for),
// optionally answers XCLIENT, and records everything: each session's raw command lines
// (as received, before any TLS), HELO/EHLO argument, XCLIENT attributes, AUTH attempts,
// and every accepted message with its envelope and bytes. Listens on 127.0.0.1 port 0
// (the kernel picks a free port: no race).

import { Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerAuthentication, SMTPServerSession } from 'smtp-server';
import { LOOPBACK } from './ports.js';

export interface SmtpSinkOptions {
  /** Advertise and accept XCLIENT (smtp-server `useXClient`). */
  xclient?: boolean;
  /** Greeting text after the host name (`220 <name> ESMTP <banner>`). */
  banner?: string;
  /** Host name in the greeting/EHLO reply; default 'sink.test'. */
  name?: string;
  /**
   * Enable AUTH PLAIN/LOGIN (for `proxy_smtp_auth on`). `true` accepts any credentials; a
   * function decides (return true to accept).
   */
  auth?: boolean | ((username: string, password: string, method: string) => boolean);
  /**
   * Offer AUTH XOAUTH2 (PLAIN and LOGIN then refuse unless `auth` accepts): decides on the user
   * and bearer token. A refusal is told as Google does: a 334 JSON error challenge, then 535.
   */
  xoauth2?: (username: string, accessToken: string) => boolean;
  /** Reject a recipient: return [code, text] to refuse, undefined to accept. */
  rejectRcpt?: (address: string) => [number, string] | undefined;
}

export interface SinkAuthAttempt {
  method: string;
  username: string;
  password: string | undefined;
  /** XOAUTH2's bearer token. */
  accessToken?: string;
  accepted: boolean;
}

export interface SinkSession {
  id: string;
  remoteAddress: string;
  remotePort: number;
  /** Client command lines as received (clear text only, CRLF stripped), decoded as UTF-8. */
  commands: string[];
  /** The same lines as raw bytes. */
  rawCommands: Buffer[];
  /** HELO/EHLO argument last seen (after XCLIENT, nginx repeats the client's). */
  helo: string | undefined;
  /** XCLIENT attributes as parsed by smtp-server (xtext decoded; [UNAVAILABLE] -> false). */
  xclient: Record<string, string | number | false>;
  /** XCLIENT LOGIN value (undefined when not sent). */
  xclientLogin: string | undefined;
  auth: SinkAuthAttempt[];
  closed: boolean;
}

export interface SinkMessage {
  sessionId: string;
  mailFrom: string | undefined;
  rcptTo: string[];
  helo: string | undefined;
  /** Copy of the session's XCLIENT attributes at DATA time. */
  xclient: Record<string, string | number | false>;
  /** Authenticated user (AUTH or XCLIENT LOGIN), if any. */
  user: string | undefined;
  data: Buffer;
  /** data as UTF-8 text. */
  text: string;
}

export interface SmtpSinkHandle {
  port: number;
  sessions: SinkSession[];
  messages: SinkMessage[];
  /** Resolve when `messages.length >= n` (or reject after timeoutMs). */
  waitForMessages(n: number, timeoutMs?: number): Promise<SinkMessage[]>;
  /** Close the server and every open connection. Idempotent. */
  stop(): Promise<void>;
}

export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSinkHandle> {
  const sessions: SinkSession[] = [];
  const messages: SinkMessage[] = [];
  const byId = new Map<string, SinkSession>();
  // remotePort -> command lines (filled by the socket tap, shared with the session record)
  const rawByPort = new Map<number, { text: string[]; raw: Buffer[] }>();
  const sockets = new Set<Socket>();
  const waiters: Array<() => void> = [];

  const linesFor = (remotePort: number): { text: string[]; raw: Buffer[] } => {
    let lines = rawByPort.get(remotePort);
    if (!lines) {
      lines = { text: [], raw: [] };
      rawByPort.set(remotePort, lines);
    }
    return lines;
  };
  const sessionOf = (s: SMTPServerSession): SinkSession => {
    let rec = byId.get(s.id);
    if (!rec) {
      rec = {
        id: s.id,
        remoteAddress: s.remoteAddress,
        remotePort: s.remotePort,
        commands: linesFor(s.remotePort).text,
        rawCommands: linesFor(s.remotePort).raw,
        helo: undefined,
        xclient: {},
        xclientLogin: undefined,
        auth: [],
        closed: false,
      };
      byId.set(s.id, rec);
      sessions.push(rec);
    }
    return rec;
  };
  const snapshot = (s: SMTPServerSession, rec: SinkSession): void => {
    const x: Record<string, string | number | false> = {};
    for (const [k, v] of s.xClient ?? new Map()) x[k] = v;
    rec.xclient = x;
    const helo = s.hostNameAppearsAs as string | false | undefined;
    if (typeof helo === 'string' && helo !== '') rec.helo = helo;
  };

  const authEnabled = (opts.auth !== undefined && opts.auth !== false) || opts.xoauth2 !== undefined;
  const server = new SMTPServer({
    name: opts.name ?? 'sink.test',
    banner: opts.banner ?? 'smtp sink ready',
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    allowInsecureAuth: true,
    authMethods: opts.xoauth2 ? ['PLAIN', 'LOGIN', 'XOAUTH2'] : ['PLAIN', 'LOGIN'],
    disabledCommands: authEnabled ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    useXClient: opts.xclient === true,
    size: 50 * 1024 * 1024,
    onConnect(session, cb) {
      sessionOf(session);
      cb();
    },
    onAuth(auth: SMTPServerAuthentication, session, cb) {
      const rec = sessionOf(session);
      snapshot(session, rec);
      if (auth.method === 'XCLIENT') {
        // XCLIENT LOGIN=<name>: nginx asserts the user; accept and record it.
        rec.xclientLogin = auth.username ?? '';
        cb(null, { user: auth.username });
        return;
      }
      if (auth.method === 'XOAUTH2' && opts.xoauth2) {
        const username = auth.username ?? '';
        const accessToken = auth.accessToken ?? '';
        const accepted = opts.xoauth2(username, accessToken);
        rec.auth.push({ method: auth.method, username, password: undefined, accessToken, accepted });
        // smtp-server sends `data` as the 334 error challenge when `user` is missing.
        if (accepted) cb(null, { user: username });
        else cb(null, { data: { status: '401', schemes: 'bearer' } });
        return;
      }
      const username = auth.username ?? '';
      const password = auth.password ?? undefined;
      const accepted =
        typeof opts.auth === 'function' ? opts.auth(username, password ?? '', auth.method) : opts.auth === true;
      rec.auth.push({ method: auth.method, username, password, accepted });
      if (accepted) cb(null, { user: username });
      else cb(new Error('Invalid username or password'));
    },
    onMailFrom(_address, session, cb) {
      snapshot(session, sessionOf(session));
      cb();
    },
    onRcptTo(address, session, cb) {
      snapshot(session, sessionOf(session));
      const rej = opts.rejectRcpt?.(address.address);
      if (rej) {
        const err = new Error(rej[1]) as Error & { responseCode: number };
        err.responseCode = rej[0];
        cb(err);
        return;
      }
      cb();
    },
    onData(stream, session, cb) {
      const rec = sessionOf(session);
      snapshot(session, rec);
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err) => cb(err));
      stream.on('end', () => {
        const data = Buffer.concat(chunks);
        const env = session.envelope;
        const from = env.mailFrom;
        const user: unknown = session.user;
        messages.push({
          sessionId: session.id,
          mailFrom: from === false || from === undefined ? undefined : from.address,
          rcptTo: env.rcptTo.map((r) => r.address),
          helo: rec.helo,
          xclient: { ...rec.xclient },
          user: typeof user === 'string' ? user : undefined,
          data,
          text: data.toString('utf8'),
        });
        for (const w of waiters.splice(0)) w();
        cb(null, 'Queued by sink');
      });
    },
    onClose(session) {
      const rec = byId.get(session.id);
      if (rec) {
        snapshot(session, rec);
        rec.closed = true;
      }
    },
  });
  server.on('error', () => undefined);

  // Tap the raw sockets to record command lines exactly as the client sent them. The
  // SMTPServer's own 'connection' listener is added at listen time, ours runs too.
  const netServer = (server as unknown as { server: import('node:net').Server }).server;
  netServer.on('connection', (sock: Socket) => {
    sockets.add(sock);
    const remotePort = sock.remotePort ?? -1;
    // Shared with the session record (whichever of the two is created first).
    const lines = linesFor(remotePort);
    sock.once('close', () => {
      sockets.delete(sock);
      // A later connection from the same client port gets a fresh list.
      setImmediate(() => {
        if (rawByPort.get(remotePort) === lines) rawByPort.delete(remotePort);
      });
    });
    let buf = Buffer.alloc(0);
    let inData = false;
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      let i: number;
      while ((i = buf.indexOf(0x0a)) >= 0) {
        let line = buf.subarray(0, i);
        if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
        buf = buf.subarray(i + 1);
        const str = line.toString('utf8');
        if (inData) {
          if (str === '.') inData = false;
          continue; // message body is recorded by onData, not here
        }
        lines.raw.push(Buffer.from(line));
        lines.text.push(str);
        if (/^DATA$/i.test(str)) inData = true;
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onErr = (err: Error): void => reject(err);
    netServer.once('error', onErr);
    server.listen(0, LOOPBACK, () => {
      netServer.removeListener('error', onErr);
      resolve();
    });
  });
  const addr = netServer.address();
  if (addr === null || typeof addr === 'string') throw new Error('startSmtpSink: no TCP address');
  const port = addr.port;

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
    return stopped;
  };

  const waitForMessages = async (n: number, timeoutMs = 5000): Promise<SinkMessage[]> => {
    const deadline = Date.now() + timeoutMs;
    while (messages.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`smtp sink: ${messages.length} message(s) after ${timeoutMs} ms, wanted ${n}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return messages;
  };

  return { port, sessions, messages, waitForMessages, stop };
}
