/**
 * The backend side of a login (nginx-auth-http.md §3): connect to the server the auth server
 * named, optionally send a PROXY header with the client's address, optionally go TLS (implicit,
 * or STARTTLS first: backend-starttls.ts), then run the protocol's login dialogue over the
 * backend's lines until it says `done` or `refused`. Everything is bounded by the mail
 * `timeout` (nginx uses it for the backend login too, §3.1); a client that leaves aborts it.
 * On success the socket is handed back paused, for the byte pipe.
 */
import net from 'node:net';
import tls from 'node:tls';
import { encodeV1, encodeV2, type ProxyAddresses } from '../../proxyproto/index.js';
import type { ListenerProtocol } from '../../config/mail-proxy.js';
import type { BackendDialogue, BackendStep } from '../backend/index.js';
import { backendStarttls, type StarttlsStep } from './backend-starttls.js';
import { BACKEND_LINE_BYTES, LineSplitter } from './lines.js';

export interface BackendOptions {
  protocol: ListenerProtocol;
  /** Postern's name, for the EHLO before an SMTP STARTTLS. */
  serverName: string;
  tls: 'none' | 'implicit' | 'starttls';
  /** The CAs to verify the backend's certificate against (built once per listener); Node's bundled roots when absent. */
  trust?: tls.SecureContext;
  /** The name the certificate must carry (and SNI); default: the backend's IP address. */
  tlsServername?: string;
  proxyProtocol: 'off' | 'v1' | 'v2';
  timeoutMs: number;
}

export interface BackendTarget {
  server: string;
  port: number;
  family: 4 | 6;
  dialogue: BackendDialogue;
}

/** The client's connection as the PROXY header to the backend describes it. */
export interface ClientEndpoints {
  source: { address: string; port: number };
  destination: { address: string; port: number };
}

export type BackendLogin =
  /** Logged in: write `toClient` (the dialogue's bytes plus anything the backend sent after them), then pipe. */
  | { kind: 'ready'; socket: net.Socket; toClient: Buffer }
  /** `line`: what the backend said, when it said something (for pass_error_message). */
  | { kind: 'failed'; detail: string; line?: string };

export function loginToBackend(target: BackendTarget, client: ClientEndpoints, opts: BackendOptions, signal: AbortSignal): Promise<BackendLogin> {
  const where = `${target.family === 6 ? `[${target.server}]` : target.server}:${target.port}`;
  return new Promise<BackendLogin>((resolve) => {
    const raw = net.connect({ host: target.server, port: target.port, family: target.family, noDelay: true, allowHalfOpen: true });
    let socket: net.Socket = raw;
    const lines = new LineSplitter();
    const starttls = opts.tls === 'starttls' ? backendStarttls(opts.protocol, opts.serverName) : undefined;
    let phase: 'starttls' | 'login' = starttls ? 'starttls' : 'login';
    let settled = false;

    const settle = (result: BackendLogin): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      signal.removeEventListener('abort', onAbort);
      if (result.kind === 'failed') socket.destroy();
      resolve(result);
    };
    const fail = (detail: string, line?: string): void => settle({ kind: 'failed', detail: `backend ${where}: ${detail}`, ...(line !== undefined ? { line } : {}) });
    const onAbort = (): void => fail('the client went away during the backend login');
    const deadline = setTimeout(() => fail(`no login within ${opts.timeoutMs / 1000} s`), opts.timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) return onAbort();

    raw.on('error', (err) => fail(err.message));
    raw.once('connect', () => {
      if (opts.proxyProtocol !== 'off') {
        const header = proxyHeader(opts.proxyProtocol, client);
        if (!header.ok) return fail(`cannot write the PROXY header (${header.error.detail})`);
        raw.write(header.value);
      }
      if (opts.tls === 'implicit') upgrade([]);
      else raw.on('data', onData);
    });

    function onData(chunk: Buffer): void {
      lines.feed(chunk);
      for (;;) {
        if (settled) return;
        const line = lines.next();
        if (line === null) return;
        if (line === 'too-long') return fail(`a line longer than ${BACKEND_LINE_BYTES} bytes`);
        if (phase === 'starttls') {
          if (!starttlsLine(starttls!.onLine(line))) return;
        } else if (!loginLine(line)) return;
      }
    }

    /** What both dialogues' steps share (write, read on, fail); false when reading stops here. */
    function sharedStep(step: Extract<StarttlsStep | BackendStep, { kind: 'send' | 'more' | 'refused' }>): boolean {
      if (step.kind === 'send') socket.write(step.bytes);
      if (step.kind !== 'refused') return true;
      fail(step.detail, step.line);
      return false;
    }

    /** One STARTTLS step; false when reading stops here. */
    function starttlsLine(step: StarttlsStep): boolean {
      if (step.kind !== 'handshake') return sharedStep(step);
      // Bytes after the go-ahead would be read as if they came over TLS (the STARTTLS injection).
      if (lines.rest().length > 0) {
        fail('bytes after the STARTTLS reply, before the handshake');
        return false;
      }
      raw.off('data', onData);
      phase = 'login';
      upgrade(step.greeting);
      return false;
    }

    /** One login dialogue step; false when reading stops here. */
    function loginLine(line: Buffer): boolean {
      const step: BackendStep = target.dialogue.onLine(line);
      if (step.kind !== 'done') return sharedStep(step);
      // Paused before the listener goes, so nothing the backend sends next is lost before the pipe.
      socket.pause();
      socket.off('data', onData);
      settle({ kind: 'ready', socket, toClient: Buffer.concat([step.toClient, lines.rest()]) });
      return false;
    }

    /** TLS over the connection, verified; then the greeting kept from before STARTTLS, if any. */
    function upgrade(greeting: Buffer[]): void {
      const secure = tls.connect({
        socket: raw,
        host: target.server,
        ...(opts.tlsServername !== undefined ? { servername: opts.tlsServername } : {}),
        ...(opts.trust !== undefined ? { secureContext: opts.trust } : {}),
        rejectUnauthorized: true,
      });
      socket = secure;
      secure.on('error', (err) => fail(`TLS: ${err.message}`));
      secure.once('secureConnect', () => {
        for (const line of greeting) if (!loginLine(line)) return;
        secure.on('data', onData);
      });
    }
  });
}

/** The PROXY header carrying the client's addresses; UNKNOWN/unspec when the two families differ. */
function proxyHeader(version: 'v1' | 'v2', ep: ClientEndpoints) {
  const src = unmapped(ep.source.address);
  const dst = unmapped(ep.destination.address);
  const family = net.isIPv4(src) && net.isIPv4(dst) ? 'ipv4' : net.isIPv6(src) && net.isIPv6(dst) ? 'ipv6' : null;
  const addresses: ProxyAddresses =
    family === null ? { family: 'unspec' } : { family, source: { address: src, port: ep.source.port }, destination: { address: dst, port: ep.destination.port } };
  return version === 'v1' ? encodeV1(addresses) : encodeV2(addresses);
}

/** `::ffff:192.0.2.1` (an IPv4 peer on a dual-stack socket) as `192.0.2.1`. */
export function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}
