/**
 * Wiring: from a loaded `Config` to the running parts (directory, resolver, password
 * verifier, decider). Used by `serve` and `test-login`, so a dry run decides exactly as the
 * server would.
 */
import type { Config } from '../config/load.js';
import { createDecider, type Decider, type Outcome, type PasswordVerifier } from '../decision/decide.js';
import { createResolver, type Resolver } from '../dns/resolver.js';
import type { Logger } from '../log/logger.js';
import { createCredentialCache, type CacheEntry } from '../cache/credential-cache.js';
import { createMemoryStore } from '../cache/expiring-store.js';
import { createHashPool, dummyVerify, hashPassword, needsUpgrade, schemeOf, verifyPassword, type Argon2Params } from '../passwords/index.js';
import { openDirectory, type DirectoryWithBans } from '../store/index.js';
import { createDefence, type DefenceSettings } from '../defence/defence.js';
import { defended } from '../defence/defended.js';
import { createMemoryCounters } from '../defence/memory-counters.js';
import { parseNetworks } from '../net/cidr.js';
import { historySettings, openHistory, type LoginHistory } from '../history/index.js';
import { createLastUsedRecorder } from '../app-passwords/index.js';
import { bearerSettings } from '../oauth/index.js';

export interface Runtime {
  directory: DirectoryWithBans;
  resolver: Resolver;
  decide: Decider;
  /** Password checks through the one bounded hash pool, for every listener (auth and console). */
  passwords: PasswordVerifier;
  argon2: Argon2Params;
  /** The login history the auth listener records each decision in; absent in a dry run (test-login records nothing). */
  history?: LoginHistory;
  /** After a successful app-password login has been answered: records its last use (throttled; a dry run records nothing). */
  appPasswordUsed(id: number): void;
  close(): Promise<void>;
}

export function argon2Params(cfg: Config): Argon2Params {
  return {
    memoryKiB: cfg.passwords.argon2_memory_kib,
    iterations: cfg.passwords.argon2_iterations,
    parallelism: cfg.passwords.argon2_parallelism,
  };
}

export function defenceSettings(cfg: Config): DefenceSettings {
  const d = cfg.defence;
  return {
    trustedNetworks: parseNetworks(d.trusted_networks),
    ipv4Prefix: d.ipv4_prefix,
    ipv6Prefix: d.ipv6_prefix,
    baseWaitSeconds: cfg.auth.failure_wait_seconds,
    maxWaitSeconds: d.penalty_max_seconds,
    penaltyWindowSeconds: d.penalty_window_seconds,
    subnetPenaltyShare: 0.25,
    windowSeconds: d.window_seconds,
    ipLimit: d.ip_limit,
    subnetLimit: d.subnet_limit,
    unknownUsersLimit: d.unknown_users_limit,
    unknownUsersWindowSeconds: d.unknown_users_window_seconds,
    accountLimit: d.account_limit,
    accountWindowSeconds: d.account_window_seconds,
    banSeconds: d.ban_seconds,
    ownerMemorySeconds: d.owner_memory_seconds,
  };
}

/**
 * `dryRun` (test-login): decide exactly as the server would, bans included, but record
 * nothing, so a dry run can never ban anyone or count towards a limit.
 */
export async function openRuntime(cfg: Config, opts: { log: Logger; dryRun?: boolean }): Promise<Runtime> {
  const directory = await openDirectory({ kind: cfg.database.kind, path: cfg.database.path }, { lookupMemory: cfg.cache.directory_entries });
  const resolver = createResolver({ ttlSeconds: cfg.dns.cache_seconds });
  const params = argon2Params(cfg);
  const pool = createHashPool({ concurrency: cfg.passwords.hash_concurrency, maxQueue: cfg.passwords.hash_queue });
  const cache = createCredentialCache(createMemoryStore<CacheEntry>({ maxEntries: cfg.cache.max_entries }), {
    ttlSeconds: cfg.cache.ttl_seconds,
    negativeTtlSeconds: cfg.cache.negative_ttl_seconds,
    staleSeconds: cfg.cache.stale_seconds,
  });
  const passwords: PasswordVerifier = {
    verify: (stored, pw) => pool.run(() => verifyPassword(stored, pw)),
    dummyVerify: (pw) => pool.run(() => dummyVerify(pw, params)),
  };
  const defence = createDefence(defenceSettings(cfg), {
    bans: directory,
    counters: createMemoryCounters({ maxKeys: 200_000, maxMembers: 1000 }),
    log: opts.log,
  });
  const engine = createDecider({
    directory,
    resolver,
    ...(cache ? { cache } : {}),
    admitsAccount: (mailbox, req) => defence.admitsAccount(mailbox, req),
    keyring: cfg.keyring,
    bearer: bearerSettings(cfg),
    passwords,
    settings: {
      failureWaitSeconds: cfg.auth.failure_wait_seconds,
      maxAttempts: cfg.auth.max_attempts,
      defaultDomain: cfg.directory.default_domain,
      recipientDelimiter: cfg.directory.recipient_delimiter,
    },
  });
  const decide = defended(engine, defence, { log: opts.log, record: !opts.dryRun });
  const appPasswordUsed = opts.dryRun ? () => {} : createLastUsedRecorder({ write: (id, at) => directory.touchAppPassword(id, at), log: opts.log });
  const history = opts.dryRun ? undefined : openHistory(historySettings(cfg), directory, opts.log);
  const close = async (): Promise<void> => {
    // The history's last batch goes to the directory before it closes.
    await history?.close();
    await directory.close();
  };
  return { directory, resolver, decide, passwords, argon2: params, appPasswordUsed, ...(history ? { history } : {}), close };
}

/**
 * After a successful login with an older scheme, store an argon2id hash of the same password.
 * Runs after the reply is sent; compare-and-set so a concurrent password change wins.
 */
export async function upgradeHash(rt: Runtime, verified: NonNullable<Outcome['verified']>, log: Logger): Promise<void> {
  const { mailbox, password } = verified;
  const old = mailbox.passwordHash;
  if (!old || !needsUpgrade(old, rt.argon2)) return;
  try {
    const fresh = await hashPassword(password, rt.argon2);
    const done = await rt.directory.replacePasswordHash(mailbox.id, old, fresh);
    if (done) log.info({ event: 'password-upgraded', mailbox: mailbox.address, from: schemeOf(old), to: 'ARGON2ID' }, 'password hash upgraded');
  } catch (err) {
    log.warn({ event: 'password-upgrade-failed', mailbox: mailbox.address, err: (err as Error).message }, 'password hash upgrade failed');
  }
}
