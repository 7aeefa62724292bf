/**
 * One configured listener: accepts TCP connections, applies the shared connection cap, reads a
 * PROXY header from trusted balancers (refusing one from anyone else), does the implicit TLS
 * handshake (judging the client's certificate), looks up an SMTP client's host name, and hands
 * the stream to a MailConnection. Every socket is tracked from accept to close (as a socket, then
 * through its connection), so shutdown can close what is not logged in, let the pipes drain,
 * then cut the rest.
 *
 * What the connections have in common (the deadline lists for their timeouts among them) is made
 * here once, and the listeners on each socket are shared functions: an idle connection should
 * cost little more than Node's own socket (connection.ts).
 */
import net from 'node:net';
import type tls from 'node:tls';
import type { ClientTls } from '../../authclient/index.js';
import type { MailProxyListenerConfig } from '../../config/mail-proxy.js';
import type { Logger } from '../../log/logger.js';
import { inNetworks, type Network } from '../../net/cidr.js';
import type { ProxyHeader } from '../../proxyproto/index.js';
import { UNAVAILABLE } from '../client-host/index.js';
import type { ConnectionFacts } from '../session.js';
import type { AuthTransport } from './auth-transport.js';
import { unmapped, type BackendOptions } from './backend.js';
import type { ClientHostLookup } from './client-host.js';
import { MailConnection, onSocketClose, onSocketError, type ConnectionLimits, type ConnectionShared } from './connection.js';
import { proxySource, readProxyHeader } from './proxy-header.js';
import type { SessionFactory } from './sessions.js';
import { handshake, serverTls, type ClientCertPolicy } from './tls.js';

/** Client connections open at once over every listener (mail_proxy.max_connections). */
export class ConnectionCap {
  open = 0;
  private lastWarned = 0;
  constructor(readonly max: number) {}

  take(log: Logger): boolean {
    if (this.open >= this.max) {
      // One line per 10 s: a flood must not flood the log too.
      if (Date.now() - this.lastWarned > 10_000) {
        this.lastWarned = Date.now();
        log.warn({ event: 'max-connections', max: this.max }, 'mail_proxy.max_connections reached: new connections are closed');
      }
      return false;
    }
    this.open++;
    return true;
  }

  release(): void {
    this.open--;
  }
}

export interface ListenerSetup {
  config: MailProxyListenerConfig;
  newSession: SessionFactory;
  transport: AuthTransport;
  secureContext?: tls.SecureContext;
  /** Client certificates (nginx `ssl_verify_client`); absent: never asked for. */
  clientCerts?: ClientCertPolicy;
  /** SMTP's Client-Host (nginx `resolver`); absent: `[UNAVAILABLE]`, nginx without a resolver. */
  clientHost?: ClientHostLookup;
  backend: BackendOptions;
  limits: ConnectionLimits;
  passErrorMessage: boolean;
  trusted: Network[];
  cap: ConnectionCap;
  log: Logger;
}

export class MailListener {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Handed over until every socket of theirs has closed (a pipe may outlive its client socket). */
  private readonly connections = new Set<MailConnection>();
  private readonly log: Logger;
  private readonly shared: ConnectionShared;
  /** Every accepted socket's `close` listener (`this` is the socket), its connection's too (connection.ts). */
  private readonly released: (this: net.Socket) => void;

  constructor(private readonly setup: ListenerSetup) {
    this.log = setup.log.child({ protocol: setup.config.protocol });
    const { sockets, connections } = this;
    this.released = function (this: net.Socket) {
      sockets.delete(this);
      setup.cap.release();
      onSocketClose.call(this);
    };
    this.shared = {
      transport: setup.transport,
      log: this.log,
      limits: setup.limits,
      ...(setup.secureContext ? { secureContext: setup.secureContext } : {}),
      ...(setup.clientCerts ? { clientCerts: setup.clientCerts } : {}),
      backend: setup.backend,
      passErrorMessage: setup.passErrorMessage,
      ...MailConnection.deadlines(setup.limits),
      finished: (c) => void connections.delete(c),
    };
    // Half-open: a client's FIN must not cut the backend's last reply (splice.ts passes it on).
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
  }

  listen(): Promise<net.AddressInfo> {
    const { host, port } = this.setup.config;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, backlog: 1024 }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as net.AddressInfo);
      });
    });
  }

  /** Stops accepting, closes connections not logged in, gives the pipes `graceMs`, then cuts everything. */
  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.shutdown();
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.all([...this.connections].map((c) => c.closed())), deadline]);
    for (const c of this.connections) c.destroy();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private accept(raw: net.Socket): void {
    if (!this.setup.cap.take(this.log)) return void raw.destroy();
    this.sockets.add(raw);
    raw.on('close', this.released);
    // An error ends this socket, through its connection once it has one.
    raw.on('error', onSocketError);
    this.prepare(raw).then(
      (ready) => {
        if (ready) this.startConnection(raw, ready.stream, ready.header, ready.tls, ready.clientHost);
      },
      (err: unknown) => {
        this.log.info({ event: 'connection-refused', client_ip: unmapped(raw.remoteAddress ?? ''), err: (err as Error).message }, 'connection ended before the greeting');
        raw.destroy();
      },
    );
  }

  /** The PROXY header, the TLS handshake and SMTP's host lookup, as configured; undefined when the socket is gone. */
  private async prepare(raw: net.Socket): Promise<{ stream: net.Socket; header?: ProxyHeader; tls?: ClientTls; clientHost?: string } | undefined> {
    const { config, limits } = this.setup;
    let header: ProxyHeader | undefined;
    if (config.proxy_protocol && inNetworks(raw.remoteAddress ?? '', this.setup.trusted)) header = await readProxyHeader(raw, limits.idleMs);
    let stream: net.Socket = raw;
    let tlsFacts: ClientTls | undefined;
    if (config.tls === 'implicit') {
      const secure = serverTls(raw, this.setup.secureContext!, this.setup.clientCerts);
      tlsFacts = await handshake(secure, limits.idleMs, this.setup.clientCerts);
      stream = secure;
    }
    // nginx resolves after the handshake and before the greeting, reading nothing meanwhile (§1.3 row 9).
    let clientHost: string | undefined;
    if (config.protocol === 'smtp' || config.protocol === 'smtp-mx') {
      const source = header ? proxySource(header) : undefined;
      clientHost = this.setup.clientHost ? await this.setup.clientHost(source?.srcAddr ?? unmapped(raw.remoteAddress ?? '')) : UNAVAILABLE;
    }
    if (stream.destroyed) return undefined;
    return { stream, ...(header ? { header } : {}), ...(tlsFacts ? { tls: tlsFacts } : {}), ...(clientHost !== undefined ? { clientHost } : {}) };
  }

  private startConnection(raw: net.Socket, stream: net.Socket, header: ProxyHeader | undefined, tlsFacts: ClientTls | undefined, clientHost: string | undefined): void {
    const { config } = this.setup;
    const source = header ? proxySource(header) : undefined;
    const facts: ConnectionFacts = {
      clientIp: source?.srcAddr ?? unmapped(raw.remoteAddress ?? ''),
      ...(source ? { proxyProtocol: source } : {}),
      ...(tlsFacts ? { tls: tlsFacts } : {}),
      // SMTP only (§1.3 row 9): IMAP and POP3 sessions have no host.
      ...(clientHost !== undefined ? { clientHost } : {}),
    };
    let session;
    try {
      session = this.setup.newSession(facts);
    } catch (err) {
      this.log.error({ client_ip: facts.clientIp, event: 'session-bug', err: (err as Error).message }, 'the session could not start; connection closed');
      return void stream.destroy();
    }
    const conn = new MailConnection(this.shared, {
      socket: stream,
      raw,
      session,
      facts,
      refuseProxyHeader: config.proxy_protocol && !header && config.tls !== 'implicit',
    });
    this.connections.add(conn);
    // From here the connection covers its socket at shutdown: one set entry per idle client, not two.
    if (stream === raw) this.sockets.delete(raw);
    this.log.debug({ client_ip: facts.clientIp, event: 'connected', tls: tlsFacts?.protocol }, 'client connected');
    conn.start();
  }
}
