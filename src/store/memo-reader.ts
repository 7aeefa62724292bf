/**
 * The hot-path lookups kept in memory between writes. Every call first asks for the change
 * version (lookupVersion below): if anything was written since, everything remembered is
 * dropped and read again. A change made by this process applies to the very next lookup; one
 * committed by another process (the CLI, another instance) within `RECHECK_MS`, which is less
 * than the time it takes to send the next login. So a password change, a disabled mailbox or a
 * new route applies at once, in every process.
 *
 * What it saves is not SQLite's time but the query layer's: each Kysely query is several
 * promise hops and object copies, which under load cost more than the index seeks themselves.
 * Results are shared between callers, so they are frozen.
 */
import { performance } from 'node:perf_hooks';
import type { AppPassword } from '../app-passwords/types.js';
import type { Backend, DirectoryReader, Domain, LoginTarget, Mailbox } from '../directory/types.js';

export const DEFAULT_LOOKUP_MEMORY = 50_000;

export function memoisedReader(reader: DirectoryReader, version: () => string, maxEntries = DEFAULT_LOOKUP_MEMORY): DirectoryReader {
  let seen = '';
  const entries = new Map<string, unknown>();

  async function remembered<T>(key: string, load: () => Promise<T>): Promise<T> {
    const v = version();
    if (v !== seen) {
      entries.clear();
      seen = v;
    }
    if (entries.has(key)) return entries.get(key) as T;
    const value = deepFreeze(await load());
    // Kept under the version seen before loading: if a write landed meanwhile, the next call
    // sees a newer version and drops it.
    if (seen === v) {
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      entries.set(key, value);
    }
    return value;
  }

  return {
    findLogin: (login) => remembered<LoginTarget | null>(`login\0${login}`, () => reader.findLogin(login)),
    findDomain: (name) => remembered<Domain | null>(`domain\0${name}`, () => reader.findDomain(name)),
    findMailboxByCert: (match, value) => remembered<Mailbox | null>(`cert\0${match}\0${value}`, () => reader.findMailboxByCert(match, value)),
    // Keyed by what the route query reads: the mailbox and its domain.
    routeFor: (mailbox) => remembered<Backend | null>(`route\0${mailbox.id}\0${mailbox.domainId}`, () => reader.routeFor(mailbox)),
    unknownRoute: (domain) => remembered<Backend | null>(`unknown\0${domain ?? ''}`, () => reader.unknownRoute(domain)),
    // Keyed by the hash, never the password. Expiry is judged by the caller at each login, so a
    // remembered row does not outlive its expiry; a revocation is a write, which drops it.
    findAppPassword: (mailboxId, hash) => remembered<AppPassword | null>(`app\0${mailboxId}\0${hash}`, () => reader.findAppPassword(mailboxId, hash)),
    ping: () => reader.ping(),
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Another process's commit shows in SQLite's data_version, but reading it takes a lock on the
 * WAL index, which under load costs tens of microseconds: it is read at most every
 * RECHECK_MS. This connection's own changes are counted without a lock on every call.
 */
export const RECHECK_MS = 2;

export function lookupVersion(engine: { changeVersion(): string; localChanges(): number }, recheckMs = RECHECK_MS): () => string {
  let shared = '';
  let checkedAt = -Infinity;
  // The last answer, handed out again while neither part moved (no string built per lookup).
  let local = NaN;
  let answer = '';
  let answerShared = '';
  return () => {
    const t = performance.now();
    if (t - checkedAt >= recheckMs) {
      shared = engine.changeVersion();
      checkedAt = t;
    }
    const l = engine.localChanges();
    if (l !== local || shared !== answerShared) {
      local = l;
      answerShared = shared;
      answer = `${shared}|${l}`;
    }
    return answer;
  };
}
