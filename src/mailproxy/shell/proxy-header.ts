/**
 * The PROXY protocol on client connections (haproxy's proxy-protocol.txt, v1 and v2 through
 * src/proxyproto). A listener with `proxy_protocol = true` requires the header from trusted
 * balancers (mail_proxy.trusted_proxies) and refuses it from anyone else: the spec forbids
 * guessing (§5), and a header from a stranger would let a client choose its own address.
 */
import type net from 'node:net';
import { decodeProxyHeader, type ProxyHeader } from '../../proxyproto/index.js';
import type { ProxyProtocolSource } from '../../authclient/index.js';
import { unmapped } from './backend.js';

/**
 * Reads the header that must open a trusted balancer's connection. The bytes after it are put
 * back on the socket (left paused), so a TLS handshake or the mail protocol reads them next.
 */
export function readProxyHeader(socket: net.Socket, timeoutMs: number): Promise<ProxyHeader> {
  return new Promise<ProxyHeader>((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const done = (err: Error | null, header?: ProxyHeader): void => {
      clearTimeout(timer);
      socket.pause();
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve(header!);
    };
    const decide = (endOfStream: boolean): void => {
      const r = decodeProxyHeader(buf, { endOfStream });
      if (r.status === 'need-more') return;
      if (r.status === 'error') return done(new Error(`bad PROXY protocol header from a trusted proxy: ${r.error.detail}`));
      const rest = buf.subarray(r.consumed);
      done(null, r.header);
      if (rest.length > 0) socket.unshift(rest);
    };
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      decide(false);
    };
    const onEnd = (): void => decide(true);
    const onError = (err: Error): void => done(err);
    const onClose = (): void => done(new Error('closed before the PROXY protocol header ended'));
    const timer = setTimeout(() => done(new Error(`no PROXY protocol header within ${timeoutMs / 1000} s`)), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}

/**
 * Whether a connection from outside the trusted networks starts with a PROXY header: `unsure`
 * until enough bytes came. Anything that starts like a signature and is not plain text for the
 * mail protocol counts (an IMAP tag spelled `PROXY` is refused too: no client uses one).
 */
export function startsWithProxyHeader(buf: Buffer): 'yes' | 'no' | 'unsure' {
  const r = decodeProxyHeader(buf);
  if (r.status === 'need-more') return 'unsure';
  return r.status === 'error' && r.error.code === 'bad-signature' ? 'no' : 'yes';
}

/** The client's address and the facts for the auth request (nginx's Proxy-Protocol-* headers, §1.3). */
export function proxySource(header: ProxyHeader): ProxyProtocolSource | undefined {
  if (header.command === 'local' || (header.family !== 'ipv4' && header.family !== 'ipv6')) return undefined;
  return { srcAddr: unmapped(header.source.address), srcPort: header.source.port, dstAddr: unmapped(header.destination.address), dstPort: header.destination.port };
}
