/**
 * The auth_http transport as nginx runs it (nginx-auth-http.md §1.1): one new TCP or unix-socket
 * connection per attempt, the request written in one go, the reply read until readAuthReply
 * decides (at the empty line, without waiting for EOF), then closed. `auth_http_timeout` is a
 * total deadline over connect, write and read. A host name in the URL is resolved once, at
 * start-up, first address only, as nginx does at configuration load.
 */
import net from 'node:net';
import { lookup } from 'node:dns/promises';
import { parseAuthHttpUrl, readAuthReply, transportError, type AuthHttpPeer, type AuthHttpUrl, type AuthReply, type EncodeOptions } from '../../authclient/index.js';
import { ABANDONED, prepareRequest, type AuthTransport } from './auth-transport.js';

/** A peer ready to connect to: an IP literal or a unix socket. */
export type ResolvedPeer = Exclude<AuthHttpPeer, { kind: 'name' }>;

export interface HttpAuthOptions {
  url: AuthHttpUrl & { peer: ResolvedPeer };
  /** `auth_http_header` pairs, written after everything else (§1.3). */
  headers: ReadonlyArray<readonly [string, string]>;
  timeoutMs: number;
  encode?: EncodeOptions;
}

/** Parses an `auth_http` URL and resolves its host name (first address), for httpAuthTransport. */
export async function resolveAuthHttpUrl(text: string): Promise<AuthHttpUrl & { peer: ResolvedPeer }> {
  const parsed = parseAuthHttpUrl(text);
  if (!parsed.ok) throw new Error(`auth_http "${text}": ${parsed.error.detail}`);
  const url = parsed.value;
  if (url.peer.kind !== 'name') return { ...url, peer: url.peer };
  let found: { address: string; family: number };
  try {
    found = await lookup(url.peer.name);
  } catch (err) {
    throw new Error(`auth_http "${text}": cannot resolve ${url.peer.name} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return { ...url, peer: { kind: 'ip', family: found.family === 6 ? 6 : 4, address: found.address, port: url.peer.port } };
}

/** The auth server's name in log lines, as nginx's `ctx->peer.name`. */
export function peerName(peer: ResolvedPeer): string {
  if (peer.kind === 'unix') return `unix:${peer.path}`;
  return peer.family === 6 ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`;
}

export function httpAuthTransport(opts: HttpAuthOptions): AuthTransport {
  const { peer } = opts.url;
  const name = peerName(peer);
  const target = { uri: opts.url.uri, host: opts.url.host, headers: opts.headers };
  return {
    ask(attempt, signal) {
      const prepared = prepareRequest(attempt, target, name, opts.encode);
      if ('reply' in prepared) return Promise.resolve(prepared.reply);
      const { bytes, ctx } = prepared;
      return new Promise<AuthReply>((resolve) => {
        let received: Buffer = Buffer.alloc(0);
        let connected = false;
        let settled = false;
        const socket = peer.kind === 'unix' ? net.connect({ path: peer.path }) : net.connect({ host: peer.address, port: peer.port, family: peer.family, noDelay: true });
        const finish = (reply: AuthReply): void => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          signal?.removeEventListener('abort', onAbort);
          socket.destroy();
          resolve(reply);
        };
        const onAbort = (): void => finish(ABANDONED);
        signal?.addEventListener('abort', onAbort, { once: true });
        // At EOF readAuthReply always concludes (an unfinished head is `closed-early`).
        const atEof = (): AuthReply => {
          const r = readAuthReply(received, true, ctx);
          return r.kind === 'incomplete' ? { kind: 'error', code: 'closed-early' } : r;
        };
        const deadline = setTimeout(() => finish(transportError('timeout', name)), opts.timeoutMs);
        socket.once('connect', () => {
          connected = true;
          socket.write(bytes);
        });
        socket.on('data', (chunk: Buffer) => {
          received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
          const r = readAuthReply(received, false, ctx);
          if (r.kind !== 'incomplete') finish(r);
        });
        socket.once('end', () => finish(atEof()));
        socket.once('error', () => finish(connected ? atEof() : transportError('connect-failed', name)));
      });
    },
  };
}
