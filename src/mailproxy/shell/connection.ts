/**
 * One client connection: the loop that runs a pure ClientSession's actions (src/mailproxy/session.ts)
 * against a socket, in order. Client bytes go to the session one chunk at a time, and never while
 * an action is under way: `auth`, `sleep`, `starttls` and the backend login pause the input, and
 * the pre-login idle timer is suspended meanwhile (nginx-auth-http.md §1.1, §6.13). Timers:
 * `timeout` idle before login, a total limit for the whole login, then `proxy_timeout` idle in
 * the pipe. States: session → backend (logging in there) → piped, or closed at any point.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import type { ClientTls } from '../../authclient/index.js';
import type { Logger } from '../../log/logger.js';
import type { ClientSession, SessionAction } from '../session.js';
import type { AuthTransport } from './auth-transport.js';
import { loginToBackend, type BackendOptions, type ClientEndpoints } from './backend.js';
import { startsWithProxyHeader } from './proxy-header.js';
import { splice } from './splice.js';
import { handshake, serverTls } from './tls.js';

export interface ConnectionLimits {
  /** Idle before login (nginx `timeout`); also the TLS handshake's limit. */
  idleMs: number;
  /** The whole login, however active the client. */
  loginMs: number;
  /** Idle after login, both directions (nginx `proxy_timeout`). */
  proxyIdleMs: number;
}

export interface ConnectionSetup {
  /** The client's stream: a TLS socket from the start on implicit-TLS listeners. */
  socket: net.Socket;
  session: ClientSession;
  transport: AuthTransport;
  /** With the connection's protocol and client address bound. */
  log: Logger;
  limits: ConnectionLimits;
  /** For STARTTLS; absent on listeners without TLS (a session never asks there). */
  secureContext?: tls.SecureContext;
  backend: BackendOptions;
  /** Pass the backend's refusal line to the client (nginx `proxy_pass_error_message`). */
  passErrorMessage: boolean;
  /** The client's addresses, for a PROXY header to the backend. */
  endpoints: ClientEndpoints;
  /** A stranger on a PROXY-protocol listener: close if it starts with a PROXY header. */
  refuseProxyHeader: boolean;
}

export type ConnectionState = 'session' | 'backend' | 'piped' | 'closed';

/** After a `close` action, how long the client gets to read the last line and hang up. */
const CLOSE_LINGER_MS = 2000;

export class MailConnection {
  state: ConnectionState = 'session';
  /** Resolves once every socket of this connection has closed. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private socket: net.Socket;
  private backendSocket: net.Socket | undefined;
  private readonly queue: SessionAction[] = [];
  private inbox: Buffer[] = [];
  /** An action is under way: input paused, no chunk goes to the session. */
  private busy = false;
  /** The client half-closed: close once what it sent before has been handled. */
  private ended = false;
  private sniffed: Buffer | null;
  private lastWrite: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly setup: ConnectionSetup) {
    this.socket = setup.socket;
    this.sniffed = setup.refuseProxyHeader ? Buffer.alloc(0) : null;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  start(): void {
    this.listen(this.socket);
    // The listener may hand over a paused stream (after a PROXY header or a TLS handshake).
    this.socket.resume();
    this.timer(this.setup.limits.loginMs, () => this.expire('login time limit reached'));
    this.armIdle();
    this.run(() => this.setup.session.start());
  }

  /** Shutdown: a connection not yet logged in is closed now; a piped one is left to finish. */
  shutdown(): void {
    if (this.state === 'session') this.closeGently();
    else if (this.state === 'backend') this.destroy();
  }

  destroy(): void {
    if (this.state !== 'closed') this.toClosed();
    this.abort.abort();
    this.socket.destroy();
    this.backendSocket?.destroy();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.state !== 'session') return;
    if (this.sniffed !== null) {
      this.sniffed = Buffer.concat([this.sniffed, chunk]);
      const verdict = startsWithProxyHeader(this.sniffed);
      if (verdict === 'unsure') return;
      if (verdict === 'yes') {
        this.setup.log.warn({ event: 'proxy-header-refused' }, 'a PROXY protocol header from outside mail_proxy.trusted_proxies: closed');
        return this.destroy();
      }
      chunk = this.sniffed;
      this.sniffed = null;
    }
    this.inbox.push(chunk);
    this.armIdle();
    this.advance();
  };

  /** During the backend login the pipe passes the half-close on (Node's pipe ends an ended source's destination). */
  private readonly onEnd = (): void => {
    this.ended = true;
    if (this.state === 'session') this.advance();
  };

  private readonly onError = (err: Error): void => {
    this.setup.log.debug({ event: 'client-error', err: err.message }, 'client connection error');
    this.destroy();
  };

  private readonly onClose = (): void => {
    if (this.state !== 'piped') this.destroy();
  };

  private listen(s: net.Socket): void {
    s.on('data', this.onData);
    s.on('end', this.onEnd);
    s.on('error', this.onError);
    s.on('close', this.onClose);
  }

  private unlisten(s: net.Socket): void {
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('error', this.onError);
    s.off('close', this.onClose);
  }

  /** Runs session code, whose actions join the queue; a throw is a bug that ends the connection. */
  private run(step: () => SessionAction[], front = false): void {
    let actions: SessionAction[];
    try {
      actions = step();
    } catch (err) {
      this.setup.log.error({ event: 'session-bug', err: (err as Error).message }, 'the session failed; connection closed');
      return this.destroy();
    }
    if (front) this.queue.unshift(...actions);
    else this.queue.push(...actions);
    this.advance();
  }

  /** Runs queued actions, then hands the next chunk to the session, until something must wait. */
  private advance(): void {
    while (!this.busy && this.state === 'session') {
      const action = this.queue.shift();
      if (action) {
        const pending = this.perform(action);
        if (pending) this.wait(pending);
        continue;
      }
      const chunk = this.inbox.shift();
      if (chunk) {
        this.run(() => this.setup.session.onData(chunk));
        return; // run() advanced already
      }
      if (this.ended) this.closeGently();
      return;
    }
  }

  private wait(pending: Promise<void>): void {
    this.busy = true;
    this.socket.pause();
    this.clearIdle();
    pending.then(
      () => {
        this.busy = false;
        if (this.state !== 'session') return;
        this.socket.resume();
        this.armIdle();
        this.advance();
      },
      (err: unknown) => {
        this.setup.log.error({ event: 'shell-bug', err: (err as Error).message }, 'unexpected error; connection closed');
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
        this.setup.log[action.level]({ event: 'session' }, action.message);
        return undefined;
      case 'close':
        this.closeGently();
        return undefined;
      case 'sleep':
        return new Promise((resolve) => this.timer(action.seconds * 1000, resolve));
      case 'auth':
        return this.setup.transport.ask(action.attempt, this.abort.signal).then((reply) => {
          if (this.state === 'session') this.run(() => this.setup.session.onAuthReply(reply), true);
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
    this.lastWrite = new Promise((resolve) => s.write(bytes, () => resolve()));
  }

  private async startTls(): Promise<void> {
    const context = this.setup.secureContext;
    if (!context) {
      this.setup.log.error({ event: 'session-bug' }, 'the session asked for STARTTLS on a listener without TLS');
      return this.destroy();
    }
    await this.lastWrite; // the go-ahead goes out in clear text, before the handshake
    if (this.state !== 'session') return;
    // Bytes sent after the command in clear text are never commands (the STARTTLS injection).
    this.inbox = [];
    const plain = this.socket;
    this.unlisten(plain);
    plain.on('error', () => undefined);
    const secure = serverTls(plain, context);
    this.socket = secure;
    this.listen(secure);
    let facts: ClientTls;
    try {
      facts = await handshake(secure, this.setup.limits.idleMs);
    } catch (err) {
      this.setup.log.info({ event: 'tls-failed', err: (err as Error).message }, 'STARTTLS handshake failed');
      return this.destroy();
    }
    if (this.state !== 'session') return;
    this.run(() => this.setup.session.onTlsStarted(facts), true);
  }

  private async proxy(action: Extract<SessionAction, { kind: 'proxy' }>): Promise<void> {
    this.state = 'backend';
    this.clearIdle();
    const backend = `${action.family === 6 ? `[${action.server}]` : action.server}:${action.port}`;
    const result = await loginToBackend(action, this.setup.endpoints, this.setup.backend, this.abort.signal);
    if (this.state !== 'backend') {
      if (result.kind === 'ready') result.socket.destroy();
      return;
    }
    if (result.kind === 'failed') {
      this.setup.log.warn({ event: 'backend-failed', backend, detail: result.detail }, 'login at the backend failed');
      // nginx's proxy_pass_error_message: the backend's line(s) verbatim, else the internal error (§3.1).
      const passed = this.setup.passErrorMessage && result.line ? Buffer.from(result.line.split('\n').map((l) => `${l}\r\n`).join(''), 'latin1') : undefined;
      this.write(passed ?? action.internalError);
      return this.closeGently();
    }
    this.state = 'piped';
    this.clearTimers();
    const upstream = (this.backendSocket = result.socket);
    this.write(result.toClient);
    upstream.write(action.pipelined);
    for (const chunk of this.inbox) upstream.write(chunk);
    this.inbox = [];
    this.unlisten(this.socket);
    this.setup.log.info({ event: 'proxied', backend }, 'logged in at the backend; piping');
    splice(this.socket, upstream, this.setup.limits.proxyIdleMs, () => this.toClosed());
  }

  /** Ends after the writes so far are flushed, reading and dropping what else comes (an RST could lose the last line). */
  private closeGently(): void {
    this.toClosed();
    const s = this.socket;
    this.unlisten(s);
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    s.end();
    s.resume();
    const cut = setTimeout(() => s.destroy(), CLOSE_LINGER_MS);
    s.once('close', () => {
      clearTimeout(cut);
      this.resolveDone();
    });
  }

  private toClosed(): void {
    this.state = 'closed';
    this.clearTimers();
    this.abort.abort();
    const sockets = [this.socket, this.backendSocket].filter((s): s is net.Socket => s !== undefined);
    let open = sockets.length;
    for (const s of sockets) {
      if (s.closed) open--;
      else s.once('close', () => --open === 0 && this.resolveDone());
    }
    if (open === 0) this.resolveDone();
  }

  private expire(why: string): void {
    if (this.state !== 'session' && this.state !== 'backend') return;
    this.setup.log.info({ event: 'client-timeout' }, `client timed out: ${why}`);
    this.destroy();
  }

  private armIdle(): void {
    this.clearIdle();
    if (this.state === 'session' && !this.busy) this.idleTimer = this.timer(this.setup.limits.idleMs, () => this.expire(`idle for ${this.setup.limits.idleMs / 1000} s`));
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private timer(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.idleTimer = undefined;
  }
}
