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
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Protocol } from '../authhttp/types.js';
import type { Mailbox } from '../directory/types.js';
import type { ExpiringStore } from './expiring-store.js';

export interface CachedRoute {
  backend: string;
  server: string;
  port: number;
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
  /** The password verified against exactly this mailbox and hash within the TTL. */
  knownGood(fp: string, mailbox: Mailbox): Promise<boolean>;
  /** The password failed against exactly this mailbox and hash (or the login named none). */
  knownBad(fp: string, mailbox: Mailbox | null): Promise<boolean>;
  rememberGood(fp: string, mailbox: Mailbox, protocol: Protocol, route: CachedRoute): Promise<void>;
  rememberBad(fp: string, mailbox: Mailbox | null): Promise<void>;
  /** A positive entry young enough to answer with while the directory is down. */
  stale(fp: string): Promise<StaleLogin | undefined>;
}

export function createCredentialCache(
  store: ExpiringStore<CacheEntry>,
  settings: CacheSettings,
  now: () => number = Date.now,
): CredentialCache | undefined {
  if (settings.ttlSeconds <= 0) return undefined;
  const key = randomBytes(32);
  const ttl = settings.ttlSeconds * 1000;
  const digest = (hash: string | null): string | null => (hash === null ? null : createHash('sha256').update(hash).digest('base64url'));
  const positiveKey = (fp: string): string => `good:${fp}`;
  const negativeKey = (fp: string): string => `bad:${fp}`;

  async function positive(fp: string): Promise<PositiveEntry | undefined> {
    const hit = await store.get(positiveKey(fp));
    return hit?.kind === 'good' ? hit.entry : undefined;
  }

  return {
    fingerprint(login, password) {
      return createHmac('sha256', key).update(login).update('\0').update(password).digest('base64url');
    },
    async knownGood(fp, mailbox) {
      const e = await positive(fp);
      return !!e && e.mailboxId === mailbox.id && e.hashDigest === digest(mailbox.passwordHash) && now() - e.verifiedAt < ttl;
    },
    async knownBad(fp, mailbox) {
      const hit = await store.get(negativeKey(fp));
      if (hit?.kind !== 'bad') return false;
      return hit.entry.mailboxId === (mailbox?.id ?? null) && hit.entry.hashDigest === digest(mailbox?.passwordHash ?? null);
    },
    async rememberGood(fp, mailbox, protocol, route) {
      const old = await positive(fp);
      const routes = old && old.mailboxId === mailbox.id ? { ...old.routes } : {};
      routes[protocol] = route;
      const entry: PositiveEntry = {
        mailboxId: mailbox.id,
        hashDigest: digest(mailbox.passwordHash)!,
        address: mailbox.address,
        enabled: mailbox.enabled,
        protocols: mailbox.protocols,
        networks: mailbox.networks,
        routes,
        verifiedAt: old && old.mailboxId === mailbox.id && now() - old.verifiedAt < ttl ? old.verifiedAt : now(),
      };
      await store.delete(negativeKey(fp));
      await store.set(positiveKey(fp), { kind: 'good', entry }, Math.max(ttl, settings.staleSeconds * 1000));
    },
    async rememberBad(fp, mailbox) {
      const entry: NegativeEntry = { mailboxId: mailbox?.id ?? null, hashDigest: digest(mailbox?.passwordHash ?? null) };
      await store.set(negativeKey(fp), { kind: 'bad', entry }, settings.negativeTtlSeconds * 1000);
    },
    async stale(fp) {
      if (settings.staleSeconds <= 0) return undefined;
      const e = await positive(fp);
      return e && now() - e.verifiedAt < settings.staleSeconds * 1000 ? e : undefined;
    },
  };
}
