/**
 * The auth_http listener: the imperative shell around the codec and the decision engine.
 * nginx opens one connection per attempt, sends a request head and waits for the reply's empty
 * line (nginx-auth-http.md §1.1), so each connection is: read the head (raw bytes, capped and
 * timed), answer once, close. Whatever goes wrong becomes the fixed temporary-failure reply:
 * never `OK`, never "wrong password", and no half-built Auth-* header (§5.13).
 */
import net from 'node:net';
import {
  encodeReplyChecked,
  findHeadEnd,
  forbiddenReply,
  getHeader,
  parseAuthRequest,
  parseHead,

  type RawHead,
} from '../authhttp/index.js';
import { hasControlChar } from '../authhttp/bytes.js';
import { PROTOCOLS, type AuthRequest, type Protocol } from '../authhttp/types.js';
import type { Config } from '../config/load.js';
import type { Outcome } from '../decision/decide.js';
import { refusal, resultOf, type Reason } from '../decision/outcome.js';
import type { Logger } from '../log/logger.js';
import { inNetworks, parseNetworks } from '../net/cidr.js';
import { memoise } from '../cache/memo.js';
import { upgradeHash, type Runtime } from '../app/runtime.js';
import { secretChecker } from '../crypto/compare.js';

/** A head bigger than this is not from nginx (the largest real one carries a PEM client certificate). */
const MAX_HEAD_BYTES = 64 * 1024;
const HEAD_TIMEOUT_MS = 10_000;
const READY_TIMEOUT_MS = 2_000;

export interface AuthServer {
  listen(): Promise<net.AddressInfo>;
  /** Stops accepting, lets requests in flight finish (up to `graceMs`), then closes the rest. */
  close(graceMs?: number): Promise<void>;
}

export function createAuthServer(cfg: Config, rt: Runtime, log: Logger): AuthServer {
  const peers = parseNetworks(cfg.auth.allowed_networks);
  // nginx connects from a few addresses: each is parsed and matched once, not per request.
  const allowedPeer = memoise((address) => inNetworks(address, peers));
  const secretMatches = secretChecker(cfg.secret);
  const answer = createAuthAnswer(cfg, rt, log);
  const sockets = new Set<net.Socket>();
  let inFlight = 0;

  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(HEAD_TIMEOUT_MS, () => socket.destroy());
    let buf: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const end = findHeadEnd(buf, MAX_HEAD_BYTES);
      if (end === 'incomplete') return;
      socket.off('data', onData);
      socket.setTimeout(0);
      if (end === 'too-large') {
        socket.end(simpleReply(431, 'Request Header Fields Too Large'));
        return;
      }
      inFlight++;
      handle(socket, buf.subarray(0, end))
        .catch((err) => log.error({ err: (err as Error).message }, 'unexpected error answering a request'))
        .finally(() => inFlight--);
    };
    socket.on('data', onData);
  });
  server.maxConnections = 10_000;

  async function handle(socket: net.Socket, bytes: Buffer): Promise<void> {
    const head = parseHead(bytes);
    if (!head.ok) {
      log.debug({ peer: socket.remoteAddress, error: head.error.code }, 'malformed HTTP request');
      socket.end(simpleReply(400, 'Bad Request'));
      return;
    }
    const path = head.value.target.split('?')[0];
    if (path === '/healthz') return void socket.end(simpleReply(200, 'OK', 'ok\n'));
    if (path === '/readyz') return void socket.end(await readiness());
    const mxOnly = path === `${cfg.listen.path}/mx`;
    if (path !== cfg.listen.path && !mxOnly) return void socket.end(simpleReply(404, 'Not Found'));

    // Who may ask: an allowed network first, then the shared secret (constant time).
    const peer = socket.remoteAddress ?? '';
    if (!allowedPeer(peer)) {
      log.warn({ event: 'refused', reason: 'peer-not-allowed', peer }, 'auth request from a peer outside auth.allowed_networks');
      return void socket.end(forbiddenReply());
    }
    if (!secretMatches(getHeader(head.value, cfg.auth.secret_header))) {
      log.warn({ event: 'refused', reason: 'bad-secret', peer, header: cfg.auth.secret_header }, 'auth request without the right shared secret');
      return void socket.end(forbiddenReply());
    }
    await answer(head.value, mxOnly, (reply) => socket.end(reply));
  }

  async function readiness(): Promise<Buffer> {
    try {
      await Promise.race([
        rt.directory.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS).unref()),
      ]);
      return simpleReply(200, 'OK', 'ready\n');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'not ready: the directory does not answer');
      return simpleReply(503, 'Service Unavailable', 'directory unavailable\n');
    }
  }

  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: cfg.listen.host, port: cfg.listen.port, backlog: 1024 }, () => {
          server.off('error', reject);
          resolve(server.address() as net.AddressInfo);
        });
      }),
    close: async (graceMs = 5000) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const deadline = Date.now() + graceMs;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/**
 * What the endpoint does once a request head arrived from an allowed caller: parse it, decide
 * within auth.decision_timeout_ms, hand the reply bytes to `send`, then log the decision, record
 * it in the history, upgrade the hash and note an app password's use. Shared by the socket
 * listener and the mail proxy's in-process auth path (src/mailproxy/shell/auth-in-process.ts),
 * so both answer the same bytes. `mxOnly`: the request came for inbound mail (`<path>/mx`).
 */
export type AuthAnswer = (head: RawHead, mxOnly: boolean, send: (reply: Buffer) => void) => Promise<void>;

export function createAuthAnswer(cfg: Config, rt: Runtime, log: Logger): AuthAnswer {
  return answer;

  async function answer(head: RawHead, mxOnly: boolean, send: (reply: Buffer) => void): Promise<void> {
    const started = process.hrtime.bigint();
    let outcome: Outcome;
    let req: AuthRequest | undefined;
    const parsed = parseAuthRequest(head);
    const protocol = parsed.ok ? parsed.value.protocol : protocolOf(head);
    if (!parsed.ok) {
      // Control characters can only come from the client (IMAP literal, SASL base64): a refused
      // login. Anything else malformed came from nginx or a stranger: fail closed, temporarily.
      outcome =
        parsed.error.code === 'control-chars'
          ? { decision: refusal('invalid', protocol), reason: 'control-chars' }
          : { decision: refusal('temporary', protocol), reason: 'bad-request' };
      if (outcome.reason === 'bad-request') log.warn({ error: parsed.error.code, detail: parsed.error.detail }, 'malformed auth request');
    } else {
      req = mxOnly ? { ...parsed.value, mxOnly } : parsed.value;
      outcome = await decideWithin(req);
    }
    const { bytes, fallback } = encodeReplyChecked(outcome.decision, protocol, req?.method);
    if (fallback) {
      log.error({ fallback, reason: outcome.reason }, 'reply could not be encoded; answered a temporary failure');
      outcome = { ...outcome, decision: refusal('temporary', protocol), reason: 'reply-invalid' };
    }
    send(bytes);
    logDecision(head, req, protocol, outcome, started);
    if (outcome.verified && cfg.passwords.upgrade_on_login) void upgradeHash(rt, outcome.verified, log);
    if (outcome.appPasswordId !== undefined && outcome.decision.kind === 'ok') rt.appPasswordUsed(outcome.appPasswordId);
  }

  /** The decision, or a temporary failure when it throws or misses auth.decision_timeout_ms. */
  function decideWithin(req: AuthRequest): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => resolve({ decision: refusal('temporary', req.protocol), reason: 'timeout' }), cfg.auth.decision_timeout_ms);
      rt.decide(req).then(
        (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
        (err: unknown) => {
          clearTimeout(timer);
          log.error({ err: (err as Error).message, protocol: req.protocol }, 'decision failed; answered a temporary failure');
          resolve({ decision: refusal('temporary', req.protocol), reason: 'internal-error' });
        },
      );
    });
  }

  function logDecision(head: RawHead, req: AuthRequest | undefined, protocol: Protocol, outcome: Outcome, started: bigint): void {
    const d = outcome.decision;
    const method = req?.method ?? getHeader(head, 'Auth-Method')?.toString('latin1');
    const user = req ? printable(req.user) : undefined;
    const clientIp = req?.clientIp ?? getHeader(head, 'Client-IP')?.toString('latin1');
    const result = resultOf(d);
    const line: Record<string, unknown> = {
      event: 'auth',
      protocol,
      method,
      user,
      client_ip: clientIp,
      attempt: req?.attempt,
      result,
      reason: outcome.reason satisfies Reason,
      mailbox: outcome.mailbox,
      backend: outcome.backend,
      cache: outcome.cache,
      app_password: outcome.appPassword,
      key_id: outcome.keyId,
      problem: outcome.problem,
      latency_ms: Number(process.hrtime.bigint() - started) / 1e6,
    };
    if (d.kind === 'ok') line.server = `${d.server}:${d.port}`;
    if (req?.smtp) line.rcpt = printable(Buffer.from(req.smtp.to, 'utf8'));
    log.info(line, 'auth decision');
    // O(1): a push to the history's buffer, written in batches off this path (src/history).
    rt.history?.record({
      login: user ?? '',
      mailbox: outcome.mailbox ?? null,
      clientIp: clientIp ?? '',
      protocol,
      method: method ?? '',
      result,
      reason: outcome.reason,
      cache: outcome.cache ?? null,
      appPassword: outcome.appPassword ?? null,
    });
  }
}

/** The protocol for shaping a failure even when the request did not parse (SMTP needs a code). */
function protocolOf(head: RawHead): Protocol {
  const p = getHeader(head, 'Auth-Protocol')?.toString('latin1');
  return (PROTOCOLS as readonly string[]).includes(p ?? '') ? (p as Protocol) : 'smtp';
}

/** A login name for the log: UTF-8 where valid, control bytes escaped, bounded length. */
function printable(b: Buffer): string {
  const text = b.toString('utf8', 0, 1024).slice(0, 256);
  return hasControlChar(text) ? text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) : text;
}

function simpleReply(status: number, text: string, body = ''): Buffer {
  return Buffer.from(
    `HTTP/1.0 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    'latin1',
  );
}

