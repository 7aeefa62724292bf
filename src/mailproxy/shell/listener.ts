/**
 * One configured listener: accepts TCP connections, applies the shared connection cap, reads a
 * PROXY header from trusted balancers (refusing one from anyone else), does the implicit TLS
 * handshake, and hands the stream to a MailConnection. Every socket is tracked from accept to
 * close, so shutdown can close what is not logged in, let the pipes drain, then cut the rest.
 */
import net from 'node:net';
import type tls from 'node:tls';
import type { ClientTls } from '../../authclient/index.js';
import type { MailProxyListenerConfig } from '../../config/mail-proxy.js';
import type { Logger } from '../../log/logger.js';
import { inNetworks, type Network } from '../../net/cidr.js';
import type { ProxyHeader } from '../../proxyproto/index.js';
import type { ConnectionFacts } from '../session.js';
import type { AuthTransport } from './auth-transport.js';
import { unmapped, type BackendOptions, type ClientEndpoints } from './backend.js';
import { MailConnection, type ConnectionLimits } from './connection.js';
import { proxySource, readProxyHeader } from './proxy-header.js';
import type { SessionFactory } from './sessions.js';
import { handshake, serverTls } from './tls.js';

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
  private readonly connections = new Set<MailConnection>();
  private readonly log: Logger;

  constructor(private readonly setup: ListenerSetup) {
    this.log = setup.log.child({ protocol: setup.config.protocol });
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
    await Promise.race([Promise.all([...this.connections].map((c) => c.done)), deadline]);
    for (const c of this.connections) c.destroy();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private accept(raw: net.Socket): void {
    if (!this.setup.cap.take(this.log)) return void raw.destroy();
    this.sockets.add(raw);
    raw.once('close', () => {
      this.sockets.delete(raw);
      this.setup.cap.release();
    });
    // An error ends this socket (before a MailConnection takes over, and under a TLS socket after).
    raw.on('error', () => void raw.destroy());
    this.prepare(raw).then(
      (ready) => {
        if (ready) this.startConnection(raw, ready.stream, ready.header, ready.tls);
      },
      (err: unknown) => {
        this.log.info({ event: 'connection-refused', client_ip: unmapped(raw.remoteAddress ?? ''), err: (err as Error).message }, 'connection ended before the greeting');
        raw.destroy();
      },
    );
  }

  /** The PROXY header and the TLS handshake, as configured; undefined when the socket is gone. */
  private async prepare(raw: net.Socket): Promise<{ stream: net.Socket; header?: ProxyHeader; tls?: ClientTls } | undefined> {
    const { config, limits } = this.setup;
    let header: ProxyHeader | undefined;
    if (config.proxy_protocol && inNetworks(raw.remoteAddress ?? '', this.setup.trusted)) header = await readProxyHeader(raw, limits.idleMs);
    if (config.tls !== 'implicit') return raw.destroyed ? undefined : { stream: raw, ...(header ? { header } : {}) };
    const secure = serverTls(raw, this.setup.secureContext!);
    const facts = await handshake(secure, limits.idleMs);
    return { stream: secure, ...(header ? { header } : {}), tls: facts };
  }

  private startConnection(raw: net.Socket, stream: net.Socket, header: ProxyHeader | undefined, tlsFacts: ClientTls | undefined): void {
    const { config } = this.setup;
    const source = header ? proxySource(header) : undefined;
    const endpoints: ClientEndpoints = source
      ? { source: { address: source.srcAddr, port: source.srcPort }, destination: { address: source.dstAddr, port: source.dstPort } }
      : { source: { address: unmapped(raw.remoteAddress ?? ''), port: raw.remotePort ?? 0 }, destination: { address: unmapped(raw.localAddress ?? ''), port: raw.localPort ?? 0 } };
    const facts: ConnectionFacts = {
      clientIp: endpoints.source.address,
      ...(source ? { proxyProtocol: source } : {}),
      ...(tlsFacts ? { tls: tlsFacts } : {}),
      // nginx without a resolver (its default, §4.1): SMTP's Client-Host is [UNAVAILABLE].
      ...(config.protocol === 'smtp' || config.protocol === 'smtp-mx' ? { clientHost: '[UNAVAILABLE]' } : {}),
    };
    const log = this.log.child({ client_ip: facts.clientIp });
    let session;
    try {
      session = this.setup.newSession(facts);
    } catch (err) {
      log.error({ event: 'session-bug', err: (err as Error).message }, 'the session could not start; connection closed');
      return void stream.destroy();
    }
    const conn = new MailConnection({
      socket: stream,
      session,
      transport: this.setup.transport,
      log,
      limits: this.setup.limits,
      ...(this.setup.secureContext ? { secureContext: this.setup.secureContext } : {}),
      backend: this.setup.backend,
      passErrorMessage: this.setup.passErrorMessage,
      endpoints,
      refuseProxyHeader: config.proxy_protocol && !header && config.tls !== 'implicit',
    });
    this.connections.add(conn);
    void conn.done.then(() => this.connections.delete(conn));
    log.debug({ event: 'connected', tls: tlsFacts?.protocol }, 'client connected');
    conn.start();
  }
}
