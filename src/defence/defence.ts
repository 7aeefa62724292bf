/**
 * The defence against password guessing (anchors-auth.md §2-§5): a failure delay that grows
 * per client IP and subnet (Dovecot's penalty, sent as nginx's Auth-Wait), limits that ban
 * guessers by IP, by subnet and for enumerating unknown users, and per-account protection that
 * an attacker cannot turn into a lock-out: it counts only *distinct* wrong passwords (a phone
 * retrying one stale password is not an attacker), and while it stands the owner's own recent
 * networks and trusted networks still get in.
 */
import { randomBytes } from 'node:crypto';
import { hmacSha256 } from '../crypto/hmac.js';
import type { AuthRequest } from '../authhttp/types.js';
import type { Outcome } from '../decision/decide.js';
import type { Reason } from '../decision/outcome.js';
import type { Mailbox } from '../directory/types.js';
import type { Logger } from '../log/logger.js';
import { memoise } from '../cache/memo.js';
import { inNetworks, type Network } from '../net/cidr.js';
import { subnetOf } from './subnet.js';

const NUL = Buffer.from([0]);
import type { Ban, BanStore, Counters } from './types.js';

export interface DefenceSettings {
  trustedNetworks: Network[];
  ipv4Prefix: number;
  ipv6Prefix: number;
  /** The first Auth-Wait after a failure; it doubles with each further failure. */
  baseWaitSeconds: number;
  maxWaitSeconds: number;
  /** Failures older than this no longer raise the delay (Dovecot forgets after ~30 s of quiet). */
  penaltyWindowSeconds: number;
  /** A subnet's failures raise its members' delay at this fraction of one IP's own. */
  subnetPenaltyShare: number;
  windowSeconds: number;
  ipLimit: number;
  subnetLimit: number;
  unknownUsersLimit: number;
  unknownUsersWindowSeconds: number;
  accountLimit: number;
  accountWindowSeconds: number;
  banSeconds: number;
  /** A network that logged in to a mailbox successfully counts as its owner's for this long. */
  ownerMemorySeconds: number;
}

/** Refusals that look like guessing: they raise the delay and count towards the limits. */
const GUESSES: ReadonlySet<Reason> = new Set<Reason>([
  'bad-credentials',
  'unknown-user',
  'no-password',
  'account-protected',
  'control-chars',
  'external-unmapped',
  'mx-auth-refused',
  // APOP/CRAM-MD5: a wrong digest, or a digest for a mailbox without a reversible credential.
  'bad-digest',
  'no-reversible-secret',
  // An app password used outside its scope, after its expiry or revocation: a failure like a wrong password.
  'app-password-out-of-scope',
  'app-password-expired',
  'app-password-revoked',
  // A bearer token the introspection endpoint does not vouch for, or one sent in another user's name.
  'token-inactive',
  'token-user-mismatch',
]);

/** Refusals that count as a wrong password of the account (distinct passwords towards its protection). */
const WRONG_PASSWORDS: ReadonlySet<Reason> = new Set<Reason>([
  'bad-credentials',
  // A wrong APOP/CRAM-MD5 digest is a wrong password too (each one is distinct: the salt changes).
  'bad-digest',
  // A device retrying one revoked or expired app password is one distinct password, as a stale password is.
  'app-password-out-of-scope',
  'app-password-expired',
  'app-password-revoked',
  // Distinct bad tokens naming the account in Auth-User (counted by keyed hash, as passwords are).
  'token-inactive',
  'token-user-mismatch',
]);

export interface Defence {
  /** A ban in force on the client's IP or subnet (trusted networks are never banned). */
  bannedClient(req: AuthRequest): Promise<Ban | undefined>;
  /** False while the mailbox is protected and the client is neither its owner's nor trusted. */
  admitsAccount(mailbox: Mailbox, req: AuthRequest): Promise<boolean>;
  /** Records the outcome, bans where a limit is reached, and sets the failure's Auth-Wait. */
  record(req: AuthRequest, outcome: Outcome): Promise<Outcome>;
}

export function createDefence(s: DefenceSettings, deps: { bans: BanStore; counters: Counters; log: Logger }): Defence {
  const { bans, counters, log } = deps;
  const mac = hmacSha256(randomBytes(32));
  const ms = (seconds: number): number => seconds * 1000;
  // Asked several times per login about the same few addresses: remembered, boundedly.
  const subnet = memoise((ip) => subnetOf(ip, s.ipv4Prefix, s.ipv6Prefix));
  const trusted = memoise((ip) => s.trustedNetworks.length > 0 && inNetworks(ip, s.trustedNetworks));
  /** A keyed hash: counters must tell passwords apart without ever holding one. */
  const digest = (...parts: Buffer[]): string => mac(...parts.flatMap((p) => [p, NUL])).toString('base64url').slice(0, 22);

  async function ban(kind: Ban['kind'], subject: string, reason: string, counter: string): Promise<void> {
    const b = await bans.addBan({ kind, subject, reason, seconds: s.banSeconds });
    // The ban now holds the state: a lifted ban starts counting from zero.
    await counters.reset(counter);
    log.warn({ event: 'ban', kind, subject, reason, until: b.expiresAt }, `banned ${kind} ${subject}: ${reason}`);
  }

  function wait(ipLevel: number, netLevel: number): number {
    const level = Math.max(ipLevel, Math.floor(netLevel * s.subnetPenaltyShare));
    const seconds = s.baseWaitSeconds * 2 ** Math.max(0, level - 1);
    return Math.max(1, Math.min(s.maxWaitSeconds, Math.round(seconds)));
  }

  return {
    async bannedClient(req) {
      if (trusted(req.clientIp)) return undefined;
      const net = subnet(req.clientIp);
      const found = await bans.activeBans({ ip: req.clientIp, ...(net ? { subnet: net } : {}) });
      return found[0];
    },

    async admitsAccount(mailbox, req) {
      if (trusted(req.clientIp)) return true;
      const [protection] = await bans.activeBans({ account: mailbox.address });
      if (!protection) return true;
      const net = subnet(req.clientIp);
      return !!net && (await counters.hasMember(`owner:${mailbox.address}`, net, ms(s.ownerMemorySeconds)));
    },

    async record(req, outcome) {
      const ip = req.clientIp;
      const net = subnet(ip);
      if (outcome.decision.kind === 'ok') {
        if (outcome.mailbox && net) await counters.addDistinct(`owner:${outcome.mailbox}`, net, ms(s.ownerMemorySeconds));
        return outcome;
      }
      if (!GUESSES.has(outcome.reason) || trusted(ip) || !net) return outcome;
      // The same login and password again (a client retrying a stale password) is one failure.
      const attempt = digest(req.user, req.pass);
      const window = ms(s.windowSeconds);
      const [ipCount, netCount, ipLevel, netLevel] = await Promise.all([
        counters.addDistinct(`ip:${ip}`, attempt, window),
        counters.addDistinct(`net:${net}`, attempt, window),
        counters.addDistinct(`penalty:${ip}`, attempt, ms(s.penaltyWindowSeconds)),
        counters.addDistinct(`penalty:${net}`, attempt, ms(s.penaltyWindowSeconds)),
      ]);
      if (outcome.reason === 'unknown-user') {
        const n = await counters.addDistinct(`unknown:${net}`, digest(req.user), ms(s.unknownUsersWindowSeconds));
        if (n >= s.unknownUsersLimit) await ban('subnet', net, `${n} unknown user names tried`, `unknown:${net}`);
      }
      if (WRONG_PASSWORDS.has(outcome.reason) && outcome.mailbox) {
        const k = `account:${outcome.mailbox}`;
        const n = await counters.addDistinct(k, digest(req.pass), ms(s.accountWindowSeconds));
        if (n >= s.accountLimit) await ban('account', outcome.mailbox, `${n} different wrong passwords`, k);
      }
      if (ipCount >= s.ipLimit) await ban('ip', ip, `${ipCount} failed logins`, `ip:${ip}`);
      if (netCount >= s.subnetLimit) await ban('subnet', net, `${netCount} failed logins from the subnet`, `net:${net}`);
      const d = outcome.decision;
      // Only a failure that already allows a retry (below the attempt cap, not APOP/CRAM-MD5) is delayed.
      if (d.kind !== 'fail' || d.wait === undefined) return outcome;
      return { ...outcome, decision: { ...d, wait: wait(ipLevel, netLevel) } };
    },
  };
}

