/**
 * The in-process auth transport: when the proxy runs inside `postern serve` with
 * `auth_http = "in-process"`, the request skips the socket but not the pipeline. The attempt is
 * encoded as nginx would send it, read back by the auth server's own head parser, answered by
 * its decision code (src/server/auth-server.ts createAuthAnswer: the same logging, history,
 * hash upgrade and app-password bookkeeping), and the reply bytes are read as nginx reads them.
 * So an answer here is byte for byte the answer over HTTP. The peer and shared-secret checks do
 * not apply: nothing outside the process can reach this path.
 */
import { findHeadEnd, parseHead } from '../../authhttp/index.js';
import { readAuthReply, transportError, type AuthReply, type EncodeOptions } from '../../authclient/index.js';
import type { AuthAnswer } from '../../server/auth-server.js';
import { ABANDONED, prepareRequest, type AuthTransport } from './auth-transport.js';

/** The name of this "auth server" in log lines. */
const PEER = 'in-process';
/** Our own requests stay far below this; it only keeps findHeadEnd's contract. */
const MAX_HEAD_BYTES = 64 * 1024;

export interface InProcessAuthOptions {
  answer: AuthAnswer;
  /** The auth endpoint's path (listen.path), so the request reads as nginx's would. */
  path: string;
  /** Inbound mail (the smtp-mx listener): asked as on `<path>/mx`. */
  mxOnly: boolean;
  timeoutMs: number;
  encode?: EncodeOptions;
}

export function inProcessAuthTransport(opts: InProcessAuthOptions): AuthTransport {
  const target = { uri: opts.mxOnly ? `${opts.path}/mx` : opts.path, host: 'localhost', headers: [] };
  return {
    ask(attempt, signal) {
      const prepared = prepareRequest(attempt, target, PEER, opts.encode);
      if ('reply' in prepared) return Promise.resolve(prepared.reply);
      const { bytes, ctx } = prepared;
      const end = findHeadEnd(bytes, MAX_HEAD_BYTES);
      const head = typeof end === 'number' ? parseHead(bytes.subarray(0, end)) : undefined;
      if (!head?.ok) return Promise.resolve<AuthReply>({ kind: 'error', code: 'bad-header', log: `in-process auth: our own request did not parse (${head?.ok === false ? head.error.code : String(end)})` });
      return new Promise<AuthReply>((resolve) => {
        let settled = false;
        // The decision itself runs on (bounded by auth.decision_timeout_ms); only the wait stops.
        const finish = (reply: AuthReply): void => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          signal?.removeEventListener('abort', onAbort);
          resolve(reply);
        };
        const onAbort = (): void => finish(ABANDONED);
        signal?.addEventListener('abort', onAbort, { once: true });
        const deadline = setTimeout(() => finish(transportError('timeout', PEER)), opts.timeoutMs);
        opts
          .answer(head.value, opts.mxOnly, (reply) => {
            // The auth server closes after its reply: read it as nginx does at EOF.
            const r = readAuthReply(reply, true, ctx);
            finish(r.kind === 'incomplete' ? { kind: 'error', code: 'closed-early' } : r);
          })
          .catch((err: unknown) => finish({ kind: 'error', code: 'closed-early', log: `in-process auth failed: ${(err as Error).message}` }));
      });
    },
  };
}
