/**
 * One client connection: the loop that runs a pure ClientSession's actions (src/mailproxy/session.ts)
 * against a socket, in order. Client bytes go to the session one chunk at a time, and never while
 * an action is under way: `auth`, `sleep`, `starttls` and the backend login pause the input, and
 * the pre-login idle timer is suspended meanwhile (nginx-auth-http.md §1.1, §6.13). Timers:
 * `timeout` idle before login, a total limit for the whole login, then `proxy_timeout` idle in
 * the pipe. States: session → backend (logging in there) → piped, or closed at any point.
 *
 * Thousands of clients may sit greeted and idle before login, so a connection costs little beyond
 * Node's own socket: what a listener's connections have in common is shared (ConnectionShared),
 * the socket listeners are shared functions that find their connection on the socket, the idle
 * and login timeouts are entries in the listener's deadline lists (deadlines.ts), not timers,
 * log lines carry the client address without a child logger per connection, and the addresses
 * for the backend's PROXY header and the promise shutdown waits for are made only when needed.
 * Node's own `end` listener gives way to ours and the TCP socket's `error` and `close` listeners
 * are the listener's (no array of two per socket); the login deadline starts at the first byte.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import type { ClientTls, ProxyProtocolSource } from '../../authclient/index.js';
import type { Logger } from '../../log/logger.js';
import type { ClientSession, ConnectionFacts, SessionAction } from '../session.js';
import type { AuthTransport } from './auth-transport.js';
import { loginToBackend, unmapped, type BackendOptions, type ClientEndpoints } from './backend.js';
import { Deadlines } from './deadlines.js';
import { startsWithProxyHeader } from './proxy-header.js';
import { splice } from './splice.js';
import { handshake, serverTls, type ClientCertPolicy } from './tls.js';

export interface ConnectionLimits {
  /** Idle before login (nginx `timeout`); also the TLS handshake's limit. */
  idleMs: number;
  /** The whole login, however active the client. */
  loginMs: number;
  /** Idle after login, both directions (nginx `proxy_timeout`). */
  proxyIdleMs: number;
}

/** What every connection of a listener shares: made once, with the listener. */
export interface ConnectionShared {
  transport: AuthTransport;
  /** With the listener's protocol bound; each line adds the connection's client_ip. */
  log: Logger;
  limits: ConnectionLimits;
  /** For STARTTLS; absent on listeners without TLS (a session never asks there). */
  secureContext?: tls.SecureContext;
  /** Client certificates after STARTTLS (nginx `ssl_verify_client`); absent: never asked for. */
  clientCerts?: ClientCertPolicy;
  backend: BackendOptions;
  /** Pass the backend's refusal line to the client (nginx `proxy_pass_error_message`). */
  passErrorMessage: boolean;
  /** `timeout`, idle before login, and the login time limit: MailConnection.deadlines(limits). */
  idle: Deadlines<MailConnection>;
  login: Deadlines<MailConnection>;
  /** Called once every socket of a connection has closed. */
  finished(c: MailConnection): void;
}

/** One client's connection, as the listener hands it over. */
export interface ConnectionSetup {
  /** The client's stream: a TLS socket from the start on implicit-TLS listeners. */
  socket: net.Socket;
  /** The TCP socket under `socket` (the same one without implicit TLS), for its addresses. */
  raw: net.Socket;
  session: ClientSession;
  /** The session's facts: the client's address, a trusted balancer's PROXY addresses. */
  facts: ConnectionFacts;
  /** A stranger on a PROXY-protocol listener: close if it starts with a PROXY header. */
  refuseProxyHeader: boolean;
}

export type ConnectionState = 'session' | 'backend' | 'piped' | 'closed';

/** After a `close` action, how long the client gets to read the last line and hang up. */
const CLOSE_LINGER_MS = 2000;

const EMPTY = Buffer.alloc(0);

/** Where a socket's shared listeners find their connection: a property, cheaper than a closure per listener or a WeakMap. */
const OWNER = Symbol('mail-connection');
type Owned = net.Socket & { [OWNER]?: MailConnection };

const connectionOf = (socket: net.Socket): MailConnection | undefined => (socket as Owned)[OWNER];

const ignore = (): void => undefined;

export class MailConnection {
  state: ConnectionState = 'session';
  private socket: net.Socket;
  private readonly raw: net.Socket;
  private readonly session: ClientSession;
  private readonly facts: ConnectionFacts;
  private backendSocket: net.Socket | undefined;
  /** Actions not yet run; undefined when none (an emptied array would keep its capacity). */
  private queue: SessionAction[] | undefined;
  /** Client chunks not yet given to the session; undefined when none. */
  private inbox: Buffer[] | undefined;
  /** An action is under way: input paused, no chunk goes to the session. */
  private busy = false;
  /** The client half-closed: close once what it sent before has been handled. */
  private ended = false;
  private sniffed: Buffer | null;
  /** A `sleep` action's timer (one at a time: the queue waits for it). */
  private sleeping: NodeJS.Timeout | undefined;
  private abort: AbortController | undefined;
  /** Every socket of this connection has closed. */
  private finished = false;
  /** What closed() handed out, made at the first call. */
  private whenFinished: { promise: Promise<void>; resolve: () => void } | undefined;

  /** The listener's deadline lists, expiring its connections (`limits` are the listener's). */
  static deadlines(limits: ConnectionLimits): Pick<ConnectionShared, 'idle' | 'login'> {
    return {
      idle: new Deadlines<MailConnection>(limits.idleMs, (c) => c.expire(`idle for ${limits.idleMs / 1000} s`)),
      login: new Deadlines<MailConnection>(limits.loginMs, (c) => c.expire('login time limit reached')),
    };
  }

  constructor(
    private readonly shared: ConnectionShared,
    setup: ConnectionSetup,
  ) {
    this.socket = setup.socket;
    this.raw = setup.raw;
    this.session = setup.session;
    this.facts = setup.facts;
    this.sniffed = setup.refuseProxyHeader ? EMPTY : null;
  }

  start(): void {
    this.listen(this.socket);
    // The listener may hand over a paused stream (after a PROXY header or a TLS handshake).
    this.socket.resume();
    this.armIdle();
    this.run(() => this.session.start());
  }

  /** Shutdown: a connection not yet logged in is closed now; a piped one is left to finish. */
  shutdown(): void {
    if (this.state === 'session') this.closeGently();
    else if (this.state === 'backend') this.destroy();
  }

  /** Resolves once every socket of this connection has closed. */
  closed(): Promise<void> {
    if (this.finished) return Promise.resolve();
    if (!this.whenFinished) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.whenFinished = { promise, resolve };
    }
    return this.whenFinished.promise;
  }

  destroy(): void {
    if (this.state !== 'closed') this.toClosed();
    this.abort?.abort();
    this.socket.destroy();
    this.backendSocket?.destroy();
  }

  /** Logs with the client's address (nginx's `client:` in its error log). */
  private log(level: 'debug' | 'info' | 'warn' | 'error', fields: Record<string, unknown>, message: string): void {
    const log = this.shared.log;
    if (log.isLevelEnabled(level)) log[level]({ client_ip: this.facts.clientIp, ...fields }, message);
  }

  /** Aborts the auth request or backend login under way when the connection ends. */
  private signal(): AbortSignal {
    this.abort ??= new AbortController();
    return this.abort.signal;
  }

  // The socket listeners, shared by every connection (`this` is the socket).
  private static onData(this: net.Socket, chunk: Buffer): void {
    connectionOf(this)?.received(chunk);
  }

  /** During the backend login the pipe passes the half-close on (Node's pipe ends an ended source's destination). */
  private static onEnd(this: net.Socket): void {
    const c = connectionOf(this);
    if (!c) return;
    c.ended = true;
    if (c.state === 'session') c.advance();
  }

  /** @internal onSocketError's connection part. */
  failed(err: Error): void {
    this.log('debug', { event: 'client-error', err: err.message }, 'client connection error');
    this.destroy();
  }

  private received(chunk: Buffer): void {
    if (this.state !== 'session') return;
    // The login time limit counts from the first byte: until then the idle timeout covers a
    // silent client, and a greeted, idle connection costs one deadline entry, not two.
    this.shared.login.start(this);
    if (this.sniffed !== null) {
      this.sniffed = Buffer.concat([this.sniffed, chunk]);
      const verdict = startsWithProxyHeader(this.sniffed);
      if (verdict === 'unsure') return;
      if (verdict === 'yes') {
        this.log('warn', { event: 'proxy-header-refused' }, 'a PROXY protocol header from outside mail_proxy.trusted_proxies: closed');
        return this.destroy();
      }
      chunk = this.sniffed;
      this.sniffed = null;
    }
    (this.inbox ??= []).push(chunk);
    this.armIdle();
    this.advance();
  }

  /**
   * Listens on the client's stream. The TCP socket's `error` and `close` listeners are the
   * listener's, there from accept (onSocketError, onSocketClose): a second one each would make
   * an array per socket. A TLS socket on top gets the same two.
   */
  private listen(s: net.Socket): void {
    (s as Owned)[OWNER] = this;
    s.on('data', MailConnection.onData);
    dropNodesEndListener(s);
    s.on('end', MailConnection.onEnd);
    if (s !== this.raw) {
      s.on('error', onSocketError);
      s.on('close', onSocketClose);
    }
  }

  /** Stops reading the stream for the session; its errors and close still reach the connection. */
  private unlisten(s: net.Socket): void {
    s.off('data', MailConnection.onData);
    s.off('end', MailConnection.onEnd);
  }

  /** Runs session code, whose actions join the queue; a throw is a bug that ends the connection. */
  private run(step: () => SessionAction[], front = false): void {
    let actions: SessionAction[];
    try {
      actions = step();
    } catch (err) {
      this.log('error', { event: 'session-bug', err: (err as Error).message }, 'the session failed; connection closed');
      return this.destroy();
    }
    if (actions.length > 0) {
      // A copy: the session may return an array it keeps.
      if (!this.queue) this.queue = [...actions];
      else if (front) this.queue.unshift(...actions);
      else this.queue.push(...actions);
    }
    this.advance();
  }

  /** Runs queued actions, then hands the next chunk to the session, until something must wait. */
  private advance(): void {
    while (!this.busy && this.state === 'session') {
      const action = this.queue?.shift();
      if (this.queue?.length === 0) this.queue = undefined;
      if (action) {
        const pending = this.perform(action);
        if (pending) this.wait(pending);
        continue;
      }
      const chunk = this.inbox?.shift();
      if (this.inbox?.length === 0) this.inbox = undefined;
      if (chunk) {
        this.run(() => this.session.onData(chunk));
        return; // run() advanced already
      }
      if (this.ended) this.closeGently();
      return;
    }
  }

  private wait(pending: Promise<void>): void {
    this.busy = true;
    this.socket.pause();
    this.shared.idle.disarm(this);
    pending.then(
      () => {
        this.busy = false;
        if (this.state !== 'session') return;
        this.socket.resume();
        this.armIdle();
        this.advance();
      },
      (err: unknown) => {
        this.log('error', { event: 'shell-bug', err: (err as Error).message }, 'unexpected error; connection closed');
        this.destroy();
      },
    );
  }

  /** Runs one action; a promise when the queue must wait for it. */
  private perform(action: SessionAction): Promise<void> | undefined {
    switch (action.kind) {
      case 'write':
        this.write(action.bytes);
        return undefined;
      case 'log':
        this.log(action.level, { event: 'session' }, action.message);
        return undefined;
      case 'close':
        this.closeGently();
        return undefined;
      case 'sleep':
        return new Promise((resolve) => {
          this.sleeping = setTimeout(() => {
            this.sleeping = undefined;
            resolve();
          }, action.seconds * 1000);
        });
      case 'auth':
        return this.shared.transport.ask(action.attempt, this.signal()).then((reply) => {
          if (this.state === 'session') this.run(() => this.session.onAuthReply(reply), true);
        });
      case 'starttls':
        return this.startTls();
      case 'proxy':
        return this.proxy(action);
    }
  }

  private write(bytes: Buffer): void {
    const s = this.socket;
    if (!s.writable || bytes.length === 0) return;
    s.write(bytes);
  }

  /** Resolves once every write so far has been handed to the kernel: an empty write queues behind them. */
  private flushed(): Promise<void> {
    const s = this.socket;
    if (s.writableLength === 0 || !s.writable) return Promise.resolve();
    return new Promise((resolve) => s.write(EMPTY, () => resolve()));
  }

  private async startTls(): Promise<void> {
    const context = this.shared.secureContext;
    if (!context) {
      this.log('error', { event: 'session-bug' }, 'the session asked for STARTTLS on a listener without TLS');
      return this.destroy();
    }
    await this.flushed(); // the go-ahead goes out in clear text, before the handshake
    if (this.state !== 'session') return;
    // Bytes sent after the command in clear text are never commands (the STARTTLS injection).
    this.inbox = undefined;
    const plain = this.socket;
    this.unlisten(plain);
    const secure = serverTls(plain, context, this.shared.clientCerts);
    this.socket = secure;
    this.listen(secure);
    let facts: ClientTls;
    try {
      facts = await handshake(secure, this.shared.limits.idleMs, this.shared.clientCerts);
    } catch (err) {
      this.log('info', { event: 'tls-failed', err: (err as Error).message }, 'STARTTLS handshake failed');
      return this.destroy();
    }
    if (this.state !== 'session') return;
    this.run(() => this.session.onTlsStarted(facts), true);
  }

  private async proxy(action: Extract<SessionAction, { kind: 'proxy' }>): Promise<void> {
    this.state = 'backend';
    this.shared.idle.disarm(this);
    const backend = `${action.family === 6 ? `[${action.server}]` : action.server}:${action.port}`;
    const result = await loginToBackend(action, clientEndpoints(this.raw, this.facts.proxyProtocol), this.shared.backend, this.signal());
    if (this.state !== 'backend') {
      if (result.kind === 'ready') result.socket.destroy();
      return;
    }
    if (result.kind === 'failed') {
      this.log('warn', { event: 'backend-failed', backend, detail: result.detail }, 'login at the backend failed');
      // nginx's proxy_pass_error_message: the backend's line(s) verbatim, else the internal error (§3.1).
      const passed = this.shared.passErrorMessage && result.line ? Buffer.from(result.line.split('\n').map((l) => `${l}\r\n`).join(''), 'latin1') : undefined;
      this.write(passed ?? action.internalError);
      return this.closeGently();
    }
    this.state = 'piped';
    this.clearTimers();
    const upstream = (this.backendSocket = result.socket);
    this.write(result.toClient);
    upstream.write(action.pipelined);
    for (const chunk of this.inbox ?? []) upstream.write(chunk);
    this.inbox = undefined;
    this.unlisten(this.socket);
    this.log('info', { event: 'proxied', backend }, 'logged in at the backend; piping');
    splice(this.socket, upstream, this.shared.limits.proxyIdleMs, () => this.toClosed());
  }

  /** Ends after the writes so far are flushed, reading and dropping what else comes (an RST could lose the last line). */
  private closeGently(): void {
    this.toClosed();
    const s = this.socket;
    this.unlisten(s);
    s.on('data', ignore);
    s.end();
    s.resume();
    const cut = setTimeout(() => s.destroy(), CLOSE_LINGER_MS);
    s.once('close', () => {
      clearTimeout(cut);
      this.finish();
    });
  }

  private toClosed(): void {
    this.state = 'closed';
    this.clearTimers();
    this.abort?.abort();
    const sockets = [this.socket, this.backendSocket].filter((s): s is net.Socket => s !== undefined);
    let open = sockets.length;
    for (const s of sockets) {
      if (s.closed) open--;
      else s.once('close', () => --open === 0 && this.finish());
    }
    if (open === 0) this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.whenFinished?.resolve();
    this.shared.finished(this);
  }

  private expire(why: string): void {
    if (this.state !== 'session' && this.state !== 'backend') return;
    this.log('info', { event: 'client-timeout' }, `client timed out: ${why}`);
    this.destroy();
  }

  private armIdle(): void {
    if (this.state === 'session' && !this.busy) this.shared.idle.arm(this);
    else this.shared.idle.disarm(this);
  }

  private clearTimers(): void {
    this.shared.idle.disarm(this);
    this.shared.login.disarm(this);
    clearTimeout(this.sleeping);
    this.sleeping = undefined;
  }
}

/** The client's addresses for a PROXY header to the backend: a trusted balancer's, else the TCP connection's. */
function clientEndpoints(raw: net.Socket, source: ProxyProtocolSource | undefined): ClientEndpoints {
  return source
    ? { source: { address: source.srcAddr, port: source.srcPort }, destination: { address: source.dstAddr, port: source.dstPort } }
    : { source: { address: unmapped(raw.remoteAddress ?? ''), port: raw.remotePort ?? 0 }, destination: { address: unmapped(raw.localAddress ?? ''), port: raw.localPort ?? 0 } };
}

/** A client socket's `error` listener from accept to close (`this` is the socket): its connection's once it has one; before that the socket just ends. */
export function onSocketError(this: net.Socket, err: Error): void {
  const c = connectionOf(this);
  if (c) c.failed(err);
  else this.destroy();
}

/** A client socket's `close`, for its connection if it has one (a pipe outlives it: splice.ts ends the other side). */
export function onSocketClose(this: net.Socket): void {
  const c = connectionOf(this);
  if (c && c.state !== 'piped') c.destroy();
}

/**
 * Node's own `end` listener on every socket (net.js `onReadableStreamEnd`, Node 20 to 24) only
 * acts on sockets that do not allow half-open; the proxy's sockets all do. Dropped, ours is the
 * socket's only one, a function rather than an array of two, a saving with many idle clients.
 */
function dropNodesEndListener(s: net.Socket): void {
  if (!s.allowHalfOpen || s.listenerCount('end') !== 1) return;
  const only = s.listeners('end')[0];
  if (only?.name === 'onReadableStreamEnd') s.off('end', only as (...args: unknown[]) => void);
}
