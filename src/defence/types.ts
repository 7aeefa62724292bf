/**
 * The records and interfaces of the defence against password guessing. Bans are persistent
 * and shared (the CLI lists and lifts them while the server runs); counters are short-lived
 * and live behind `Counters`, in memory now and in Redis when several instances share the load.
 */

/**
 * What a ban covers. `ip` and `subnet` refuse every login from there; `account` protects one
 * mailbox: while it stands, only the owner's own networks (recently successful) and trusted
 * networks may log in to it.
 */
export type BanKind = 'ip' | 'subnet' | 'account';

export interface Ban {
  id: number;
  kind: BanKind;
  /** An IP address, a CIDR subnet (`192.0.2.0/24`, `2001:db8::/48`) or a mailbox address. */
  subject: string;
  /** Why, in words an operator reads: "15 failed logins in 15 minutes". */
  reason: string;
  createdAt: string;
  expiresAt: string;
}

export interface NewBan {
  kind: BanKind;
  subject: string;
  reason: string;
  /** Seconds from now. */
  seconds: number;
}

/** Persistent bans (the directory's database now; shared by every Postern process and the CLI). */
export interface BanStore {
  /** Adds a ban, or extends the standing one for the same kind and subject. */
  addBan(ban: NewBan): Promise<Ban>;
  /** Bans in force now on any of these subjects (for one login: its IP, subnet and mailbox). */
  activeBans(subjects: { ip?: string; subnet?: string; account?: string }): Promise<Ban[]>;
  /** Bans in force now, newest first; with `all`, expired ones too. */
  listBans(opts?: { all?: boolean }): Promise<Ban[]>;
  /** Ends the bans on `subject` (every kind); returns how many were in force. */
  liftBans(subject: string): Promise<number>;
  /** Removes bans that ended more than `olderThanSeconds` ago. */
  pruneBans(olderThanSeconds: number): Promise<number>;
}

/** Sliding-window counters of distinct members, e.g. distinct wrong passwords per account. */
export interface Counters {
  /** Records `member` under `key` now and returns how many distinct members it has within `windowMs`. */
  addDistinct(key: string, member: string, windowMs: number): Promise<number>;
  /** How many distinct members `key` has within `windowMs`, recording nothing. */
  countDistinct(key: string, windowMs: number): Promise<number>;
  /** Whether `member` was recorded under `key` within `windowMs`. */
  hasMember(key: string, member: string, windowMs: number): Promise<boolean>;
  /** Forgets `key` (after a ban has been recorded for it, so a lifted ban starts from zero). */
  reset(key: string): Promise<void>;
}
