/**
 * The console's socket layer: a node:http server, optionally behind the PROXY protocol
 * (haproxy's v1/v2, for a load balancer in TCP mode). A PROXY header is read only from peers in
 * the trusted proxies, and from them it is required (spec §1: never guess whether one is
 * there); other peers speak HTTP directly, so a client cannot claim an address by sending one.
 * What the connection says about the peer is kept per socket for the request handler.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { matchTrusted, type TrustedProxies } from '../http/index.js';
import type { Logger } from '../log/logger.js';
import { parseAddress } from '../net/cidr.js';
import { decodeProxyHeader } from '../proxyproto/index.js';

export interface ConnectionInfo {
  /** The socket's own peer address. */
  socketPeer: string | undefined;
  /** The address the request handler treats as the peer: the PROXY header's source when one was accepted. */
  peer: string | undefined;
  /** The PROXY header's source, when one was accepted on this connection. */
  proxyProtocolSource: string | null;
}

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse, conn: ConnectionInfo) => void;

export interface ConsoleListener {
  listen(host: string, port: number): Promise<AddressInfo>;
  /** Stops accepting, lets requests in flight finish, closes idle keep-alive connections. */
  close(): Promise<void>;
}

const HEADER_TIMEOUT_MS = 5000;

export function createListener(handler: ConsoleHandler, opts: { proxyProtocol: boolean; trusted: TrustedProxies; log: Logger }): ConsoleListener {
  const info = new WeakMap<Socket, ConnectionInfo>();
  const http: HttpServer = createHttpServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
    const socket = req.socket;
    const conn = info.get(socket) ?? { socketPeer: socket.remoteAddress, peer: socket.remoteAddress, proxyProtocolSource: null };
    handler(req, res, conn);
  });
  let front: HttpServer | NetServer = http;
  if (opts.proxyProtocol) {
    const net = createNetServer((socket) => acceptProxied(socket, http, info, opts));
    front = net;
  }
  return {
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        front.once('error', reject);
        front.listen({ host, port }, () => {
          front.off('error', reject);
          resolve(front.address() as AddressInfo);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        let pending = front === http ? 1 : 2;
        const done = () => --pending === 0 && resolve();
        if (front !== http) front.close(() => done());
        http.close(() => done());
        http.closeIdleConnections();
      }),
  };
}

function acceptProxied(socket: Socket, http: HttpServer, info: WeakMap<Socket, ConnectionInfo>, opts: { trusted: TrustedProxies; log: Logger }): void {
  const socketPeer = socket.remoteAddress;
  const hand = (peer: string | undefined, source: string | null, rest: Buffer | null): void => {
    info.set(socket, { socketPeer, peer, proxyProtocolSource: source });
    http.emit('connection', socket);
    // The bytes after the header go to the HTTP parser the way the socket's own would: the
    // server's 'data' listener is in place now. (unshift() is not used: the server may read
    // the handle natively, around the stream's buffer, and it throws after the peer's FIN.)
    if (rest && rest.length > 0) socket.emit('data', rest);
    socket.resume();
  };
  if (socketPeer === undefined || !matchTrusted(socketPeer, opts.trusted)) {
    hand(socketPeer, null, null);
    return;
  }
  let buf = Buffer.alloc(0);
  const timer = setTimeout(() => fail('no complete PROXY protocol header within 5 s'), HEADER_TIMEOUT_MS);
  const fail = (why: string): void => {
    clearTimeout(timer);
    socket.off('data', onData);
    opts.log.warn({ event: 'admin-proxy-protocol-refused', peer: socketPeer, problem: why }, 'closed a console connection from a trusted proxy without a valid PROXY protocol header');
    socket.destroy();
  };
  const onData = (chunk: Buffer): void => {
    buf = Buffer.concat([buf, chunk]);
    const r = decodeProxyHeader(buf);
    if (r.status === 'need-more') return;
    if (r.status === 'error') return fail(`${r.error.code}: ${r.error.detail}`);
    clearTimeout(timer);
    socket.off('data', onData);
    socket.pause();
    const h = r.header;
    // LOCAL (a health check) and UNKNOWN carry no client: the connection's own address stands.
    const source = h.command === 'proxy' && (h.family === 'ipv4' || h.family === 'ipv6') ? (parseAddress(h.source.address)?.toString() ?? null) : null;
    hand(source ?? socketPeer, source, buf.subarray(r.consumed));
  };
  socket.on('data', onData);
  socket.on('error', () => clearTimeout(timer));
  socket.on('close', () => clearTimeout(timer));
}
