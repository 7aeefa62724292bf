/**
 * The auth cache: remembers that a password did or did not verify against a mailbox's stored
 * hash, so a client logging in again does not pay for argon2 again. Keys are an HMAC of the
 * login and password under a key made at start-up (never the password); entries hold a digest
 * of the stored hash, never the hash. An entry counts only while the mailbox and its hash are
 * still those it was made for, so a password change makes it worthless at once, in every
 * process; state and routes are always read fresh from the directory.
 *
 * A positive entry also keeps what is needed to answer while the directory is unavailable
 * (Dovecot's behaviour): the mailbox's rules and the backend each protocol was sent to.
 */
import { hash, randomBytes } from 'node:crypto';
import { hmacSha256 } from '../crypto/hmac.js';
import type { Protocol } from '../authhttp/types.js';
import type { Mailbox } from '../directory/types.js';
import type { ExpiringStore } from './expiring-store.js';

export interface CachedRoute {
  backend: string;
  server: string;
  port: number;
  /**
   * The login was sent on with a master login or the mailbox's backend login: a stale answer
   * (which has neither) would log in with the wrong name or password, so it must not be given.
   */
  rewritten: boolean;
}

/** What a stale answer needs: the rules the mailbox had and where it was sent. */
export interface StaleLogin {
  address: string;
  enabled: boolean;
  protocols: Protocol[];
  networks: string[];
  routes: Partial<Record<Protocol, CachedRoute>>;
  /** When the password last verified (ms since the epoch). */
  verifiedAt: number;
}

interface PositiveEntry extends StaleLogin {
  mailboxId: number;
  hashDigest: string;
}

interface NegativeEntry {
  /** null: the login named no mailbox. */
  mailboxId: number | null;
  hashDigest: string | null;
}

export type CacheEntry = { kind: 'good'; entry: PositiveEntry } | { kind: 'bad'; entry: NegativeEntry };

/** What knownGood found, handed back to rememberGood: a cached login reads the cache once, not twice. */
export type CacheHit = Readonly<PositiveEntry>;

export interface CacheSettings {
  /** How long a verified password is trusted; 0 turns the cache off. */
  ttlSeconds: number;
  /** How long a failed one is remembered. */
  negativeTtlSeconds: number;
  /** How long a positive entry may answer while the directory is unavailable; 0 never. */
  staleSeconds: number;
}

export interface CredentialCache {
  fingerprint(login: string, password: Buffer): string;
  /** The password verified against exactly this mailbox and hash within the TTL: the entry that says so, else undefined. */
  knownGood(fp: string, mailbox: Mailbox): Promise<CacheHit | undefined>;
  /** The password failed against exactly this mailbox and hash (or the login named none). */
  knownBad(fp: string, mailbox: Mailbox | null): Promise<boolean>;
  /** `hit`: what knownGood said for this login, if anything; when nothing changed since, nothing is read or written. */
  rememberGood(fp: string, mailbox: Mailbox, protocol: Protocol, route: CachedRoute, hit?: CacheHit): Promise<void>;
  rememberBad(fp: string, mailbox: Mailbox | null): Promise<void>;
  /** A positive entry young enough to answer with while the directory is down. */
  stale(fp: string): Promise<StaleLogin | undefined>;
}

const DONE: Promise<void> = Promise.resolve();

export function createCredentialCache(
  store: ExpiringStore<CacheEntry>,
  settings: CacheSettings,
  now: () => number = Date.now,
): CredentialCache | undefined {
  if (settings.ttlSeconds <= 0) return undefined;
  const mac = hmacSha256(randomBytes(32));
  const ttl = settings.ttlSeconds * 1000;
  // The directory hands out the same frozen Mailbox until it changes, so a hash's digest is
  // computed once per mailbox version, not on every login (a mutable one is digested each time).
  const digests = new WeakMap<Mailbox, string | null>();
  const digestOf = (stored: string | null): string | null => (stored === null ? null : hash('sha256', stored, 'base64url'));
  const digest = (mailbox: Mailbox | null): string | null => {
    if (mailbox === null) return null;
    if (!Object.isFrozen(mailbox)) return digestOf(mailbox.passwordHash);
    let d = digests.get(mailbox);
    if (d === undefined) digests.set(mailbox, (d = digestOf(mailbox.passwordHash)));
    return d;
  };
  const positiveKey = (fp: string): string => `good:${fp}`;
  const negativeKey = (fp: string): string => `bad:${fp}`;

  async function positive(fp: string): Promise<PositiveEntry | undefined> {
    const hit = await store.get(positiveKey(fp));
    return hit?.kind === 'good' ? hit.entry : undefined;
  }

  /** Within the TTL, for the same mailbox, hash, rules and route: remembering it again would change nothing. */
  const current = (e: PositiveEntry, mailbox: Mailbox, protocol: Protocol, route: CachedRoute): boolean =>
    unchanged(e, mailbox, digest(mailbox), protocol, route) && now() - e.verifiedAt < ttl;

  async function remember(fp: string, mailbox: Mailbox, protocol: Protocol, route: CachedRoute): Promise<void> {
    const old = await positive(fp);
    if (old && current(old, mailbox, protocol, route)) return;
    const routes = old && old.mailboxId === mailbox.id ? { ...old.routes } : {};
    routes[protocol] = route;
    const entry: PositiveEntry = {
      mailboxId: mailbox.id,
      hashDigest: digest(mailbox)!,
      address: mailbox.address,
      enabled: mailbox.enabled,
      protocols: mailbox.protocols,
      networks: mailbox.networks,
      routes,
      verifiedAt: old && old.mailboxId === mailbox.id && now() - old.verifiedAt < ttl ? old.verifiedAt : now(),
    };
    await store.delete(negativeKey(fp));
    await store.set(positiveKey(fp), { kind: 'good', entry }, Math.max(ttl, settings.staleSeconds * 1000));
  }

  return {
    fingerprint(login, password) {
      return mac(login, '\0', password).toString('base64url');
    },
    async knownGood(fp, mailbox) {
      const e = await positive(fp);
      return e && e.mailboxId === mailbox.id && e.hashDigest === digest(mailbox) && now() - e.verifiedAt < ttl ? e : undefined;
    },
    async knownBad(fp, mailbox) {
      const hit = await store.get(negativeKey(fp));
      if (hit?.kind !== 'bad') return false;
      return hit.entry.mailboxId === (mailbox?.id ?? null) && hit.entry.hashDigest === digest(mailbox);
    },
    rememberGood(fp, mailbox, protocol, route, hit) {
      // The usual cached login: what knownGood found still holds, so the cache is not read again.
      // Otherwise the entry is read afresh (another login may have added a route meanwhile).
      return hit && current(hit, mailbox, protocol, route) ? DONE : remember(fp, mailbox, protocol, route);
    },
    async rememberBad(fp, mailbox) {
      const entry: NegativeEntry = { mailboxId: mailbox?.id ?? null, hashDigest: digest(mailbox) };
      await store.set(negativeKey(fp), { kind: 'bad', entry }, settings.negativeTtlSeconds * 1000);
    },
    async stale(fp) {
      if (settings.staleSeconds <= 0) return undefined;
      const e = await positive(fp);
      return e && now() - e.verifiedAt < settings.staleSeconds * 1000 ? e : undefined;
    },
  };
}

function unchanged(e: PositiveEntry, m: Mailbox, hashDigest: string | null, protocol: Protocol, route: CachedRoute): boolean {
  const r = e.routes[protocol];
  return (
    e.mailboxId === m.id &&
    e.hashDigest === hashDigest &&
    e.address === m.address &&
    e.enabled === m.enabled &&
    e.protocols === m.protocols &&
    e.networks === m.networks &&
    r !== undefined &&
    r.backend === route.backend &&
    r.server === route.server &&
    r.port === route.port &&
    r.rewritten === route.rewritten
  );
}
