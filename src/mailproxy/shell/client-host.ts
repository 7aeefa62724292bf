/**
 * SMTP's Client-Host from DNS (nginx `resolver`, `resolver_timeout`): the PTR query for the
 * client's address, then A and AAAA for the name, each step within the time limit, judged by
 * the pure rules (src/mailproxy/client-host). nginx does this before the SMTP greeting, with
 * the client's input unread meanwhile; the listener does the same.
 */
import { Resolver } from 'node:dns/promises';
import { afterForward, afterReverse, lookupFailure, UNAVAILABLE, type Lookup } from '../client-host/index.js';

export type ClientHostLookup = (clientIp: string) => Promise<string>;

/** Without servers, nginx's default: no resolver, `[UNAVAILABLE]` for everyone. */
export function clientHostLookup(servers: readonly string[], timeoutMs: number): ClientHostLookup {
  if (servers.length === 0) return () => Promise.resolve(UNAVAILABLE);
  // c-ares retries within the limit; the deadline below is what bounds each step.
  const perTry = Math.min(timeoutMs, 2000);
  const resolver = new Resolver({ timeout: perTry, tries: Math.max(1, Math.ceil(timeoutMs / perTry)) });
  resolver.setServers([...servers]);
  return async (clientIp) => {
    const step = afterReverse(await query(() => resolver.reverse(clientIp), timeoutMs));
    if (step.kind === 'done') return step.host;
    const [a, aaaa] = await Promise.all([query(() => resolver.resolve4(step.name), timeoutMs), query(() => resolver.resolve6(step.name), timeoutMs)]);
    return afterForward(step.name, clientIp, a, aaaa);
  };
}

/** One query as a Lookup; past the deadline it counts as timed out (the query itself is left to end). */
async function query(run: () => Promise<string[]>, timeoutMs: number): Promise<Lookup> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Lookup>((resolve) => (timer = setTimeout(() => resolve({ kind: 'failed', code: 'ETIMEOUT' }), timeoutMs)));
  const answer = run().then(
    (records): Lookup => ({ kind: 'records', records }),
    (err: unknown) => lookupFailure(String((err as NodeJS.ErrnoException).code ?? 'EFAIL')),
  );
  try {
    return await Promise.race([answer, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

