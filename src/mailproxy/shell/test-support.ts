/**
 * Test doubles for the shell's unit tests: a tiny POP3-like ClientSession (the real sessions are
 * tested on their own; this one exercises every action kind the shell runs), a scripted POP3
 * backend (plain, implicit TLS or STLS, optionally behind a PROXY header), and a line client.
 */
import net from 'node:net';
import tls from 'node:tls';
import { internalErrorLine, type AuthReply, type ClientTls } from '../../authclient/index.js';
import { decodeProxyHeader, type ProxyHeader } from '../../proxyproto/index.js';
import { authOutcome, type PendingAttempt } from '../auth-outcome.js';
import { pop3BackendLogin } from '../backend/index.js';
import type { ClientSession, ConnectionFacts, SessionAction } from '../session.js';
import { SERVER_CERT, SERVER_KEY } from './testdata/certs.js';

export const serverContext = (): tls.SecureContext => tls.createSecureContext({ cert: SERVER_CERT, key: SERVER_KEY });

const line = (text: string): SessionAction => ({ kind: 'write', bytes: Buffer.from(`${text}\r\n`, 'latin1') });

/**
 * Commands: USER u, PASS p (asks), STLS, SLEEP n, LOG text, WHO (the connection facts), QUIT.
 * Lines after PASS in the same chunk are the pipelined bytes for the backend.
 */
export function fakeSession(facts: ConnectionFacts, seen: { tls?: ClientTls; replies: AuthReply[] } = { replies: [] }): ClientSession {
  let buf = '';
  let user = '';
  let tlsNow = facts.tls;
  let attempts = 0;
  let pending: PendingAttempt | null = null;
  let pipelined = '';

  function command(cmd: string): SessionAction[] {
    const [verb = '', ...args] = cmd.split(' ');
    const arg = args.join(' ');
    switch (verb.toUpperCase()) {
      case 'USER':
        user = arg;
        return [line('+OK')];
      case 'PASS': {
        pending = { attempt: { protocol: 'pop3', method: 'plain', user: Buffer.from(user), pass: Buffer.from(arg), attempt: ++attempts, clientIp: facts.clientIp, ...(tlsNow ? { tls: tlsNow } : {}) }, waits: 0 };
        return [{ kind: 'auth', attempt: pending.attempt }];
      }
      case 'STLS':
        return [line('+OK begin TLS'), { kind: 'starttls' }];
      case 'SLEEP':
        return [{ kind: 'sleep', seconds: Number(arg) }, line('+OK slept')];
      case 'LOG':
        return [{ kind: 'log', level: 'info', message: arg }, line(`+OK logged ${arg}`)];
      case 'WHO':
        return [line(`+OK ${facts.clientIp} ${tlsNow?.protocol ?? 'clear'}`)];
      case 'QUIT':
        return [line('+OK bye'), { kind: 'close' }];
      default:
        return [line('-ERR invalid command')];
    }
  }

  return {
    start: () => [line(`+OK fake ready for ${facts.clientIp}`)],
    onData(bytes) {
      if (pending) {
        pipelined += bytes.toString('latin1');
        return [];
      }
      buf += bytes.toString('latin1');
      const out: SessionAction[] = [];
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) !== -1) {
        const cmd = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        out.push(...command(cmd));
        if (out.some((a) => a.kind === 'starttls')) {
          buf = ''; // never read clear-text bytes after STARTTLS as commands
          break;
        }
        if (pending) {
          pipelined = buf;
          buf = '';
          break;
        }
      }
      return out;
    },
    onTlsStarted(t) {
      tlsNow = t;
      seen.tls = t;
      return [{ kind: 'log', level: 'info', message: `tls ${t.protocol}` }];
    },
    onAuthReply(reply) {
      seen.replies.push(reply);
      const p = pending!;
      const outcome = authOutcome(reply, p);
      switch (outcome.kind) {
        case 'proxy': {
          pending = null;
          return [
            {
              kind: 'proxy',
              server: outcome.server,
              port: outcome.port,
              family: outcome.family,
              dialogue: pop3BackendLogin({ user: outcome.login, pass: outcome.password ?? Buffer.alloc(0) }),
              pipelined: Buffer.from(pipelined, 'latin1'),
              internalError: internalErrorLine('pop3'),
            },
          ];
        }
        case 'continue':
          pending = null;
          buf = pipelined + buf;
          pipelined = '';
          return [...outcome.actions, ...this.onData(Buffer.alloc(0))];
        case 'final':
          pending = outcome.next;
          return outcome.actions;
      }
    },
  };
}

export interface FakeBackend {
  port: number;
  /** Command lines received, in order, over all connections. */
  received: string[];
  /** PROXY headers received. */
  headers: ProxyHeader[];
  close(): void;
}

/**
 * A POP3 server: USER, PASS (`password` accepted), then `+OK echo <line>` for any line, QUIT
 * closes. `tls`: implicit, or STLS offered before login. `proxyHeader`: each connection starts
 * with one. `greeting` replaces `+OK backend ready`.
 */
export async function fakePop3Backend(opts: { password?: string; tls?: 'implicit' | 'starttls'; proxyHeader?: boolean; greeting?: string } = {}): Promise<FakeBackend> {
  const received: string[] = [];
  const headers: ProxyHeader[] = [];
  const context = serverContext();
  const server = net.createServer((raw) => {
    raw.on('error', () => undefined);
    const begin = (sock: net.Socket, rest: Buffer): void => {
      if (opts.tls === 'implicit') {
        raw.unshift(rest);
        const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
        secure.on('error', () => undefined);
        return converse(secure, true);
      }
      if (rest.length > 0) sock.unshift(rest);
      converse(sock, false);
    };
    if (!opts.proxyHeader) return begin(raw, Buffer.alloc(0));
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const r = decodeProxyHeader(buf);
      if (r.status === 'need-more') return;
      raw.off('data', onData);
      raw.pause();
      if (r.status === 'error') return void raw.destroy();
      headers.push(r.header);
      begin(raw, buf.subarray(r.consumed));
    };
    raw.on('data', onData);
  });

  function converse(sock: net.Socket, secure: boolean, greet = true): void {
    let buf = '';
    let loggedIn = false;
    if (greet) sock.write(`${opts.greeting ?? '+OK backend ready'}\r\n`);
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) !== -1) {
        const cmd = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        received.push(cmd);
        if (cmd === 'STLS' && !secure && opts.tls === 'starttls') {
          sock.off('data', onData);
          sock.write('+OK begin TLS\r\n', () => {
            const t = new tls.TLSSocket(sock, { isServer: true, secureContext: context });
            t.on('error', () => undefined);
            converse(t, true, false);
          });
          return;
        }
        if (cmd.startsWith('USER ')) sock.write('+OK\r\n');
        else if (cmd.startsWith('PASS ')) {
          loggedIn = cmd.slice(5) === (opts.password ?? 'right');
          sock.write(loggedIn ? '+OK logged in\r\n' : '-ERR [AUTH] backend says no\r\n');
        } else if (cmd === 'QUIT') sock.end('+OK bye\r\n');
        else sock.write(loggedIn ? `+OK echo ${cmd}\r\n` : '-ERR not logged in\r\n');
      }
    };
    sock.on('data', onData);
    sock.resume();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    headers,
    close: () => {
      server.close();
    },
  };
}

/** A line client over a plain or TLS socket: lines received, send, and wait for a line. */
export class LineClient {
  readonly lines: string[] = [];
  closed = false;
  private buf = '';
  private waiters: Array<() => void> = [];

  constructor(public socket: net.Socket) {
    this.attach(socket);
  }

  static connect(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(new LineClient(s)));
      s.once('error', reject);
    });
  }

  /** Implicit TLS, checking the server against `ca`, presenting `client` (certificate and key PEM) if given. */
  static connectTls(port: number, ca: string, client?: { cert: string; key: string }): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ port, host: '127.0.0.1', ca, ...client }, () => resolve(new LineClient(s)));
      s.once('error', reject);
    });
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next line matching `re` (searching from line `from`), waiting up to `ms`. */
  async waitFor(re: RegExp, ms = 3000, from = 0): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.lines.slice(from).find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (this.closed) throw new Error(`closed before ${re}; lines: ${JSON.stringify(this.lines)}`);
      if (Date.now() > deadline) throw new Error(`no ${re} within ${ms} ms; lines: ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitClosed(ms = 3000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  /** Upgrades to TLS after a STARTTLS go-ahead, checking the certificate against `ca`, presenting `client` if given. */
  async startTls(ca: string, client?: { cert: string; key: string }): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    this.socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const t = tls.connect({ socket: plain, ca, servername: 'localhost', ...client }, () => resolve(t));
      t.once('error', reject);
    });
    this.attach(this.socket);
  }

  close(): void {
    this.socket.destroy();
  }

  private attach(s: net.Socket): void {
    s.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      let nl: number;
      while ((nl = this.buf.indexOf('\r\n')) !== -1) {
        this.lines.push(this.buf.slice(0, nl));
        this.buf = this.buf.slice(nl + 2);
      }
      this.wake();
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
