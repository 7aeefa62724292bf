/**
 * Bans (src/defence/types.ts `BanStore`) in the directory's database, so every Postern process
 * and the CLI share them. A row is in force while `lifted_at IS NULL AND expires_at > now`;
 * timestamps are ISO-8601 UTC text from one clock, so "now" comparisons are string
 * comparisons in every engine. Subjects are stored canonical (IP and CIDR text as ipaddr.js
 * prints it, addresses lower-cased) so the login-time lookup is plain equality.
 */
import ipaddr from 'ipaddr.js';
import type { Selectable } from 'kysely';
import type { Ban, BanKind, BanStore, NewBan } from '../defence/types.js';
import { DirectoryError } from '../directory/types.js';
import { memoise } from '../cache/memo.js';
import { prepareQuery } from './prepared.js';
import type { Store } from './rows.js';
import type { BansTable } from './schema.js';
import { normaliseName, parseAddress, parseNetwork } from './validate.js';

export const BAN_KINDS: readonly BanKind[] = ['ip', 'subnet', 'account'];

/** The longest ban accepted: 100 years (keeps expiry a four-digit-year ISO timestamp). */
export const MAX_BAN_SECONDS = 100 * 365 * 24 * 3600;
const MAX_REASON_LENGTH = 500;

/** A ban as listed for operators: with when it was lifted, if it was. */
export interface BanRecord extends Ban {
  liftedAt: string | null;
}

/** `BanStore` whose `listBans` also says which bans were lifted (the CLI shows it). */
export interface BanAdmin extends BanStore {
  listBans(opts?: { all?: boolean }): Promise<BanRecord[]>;
}

/** Where "now" comes from; tests inject a clock they can move. */
export type Clock = () => Date;

function invalid(message: string): never {
  throw new DirectoryError('invalid', message);
}

function attempt(parse: () => string): string {
  try {
    return parse();
  } catch {
    return '';
  }
}

/** An IPv4-mapped IPv6 address (`::ffff:192.0.2.7`) is the IPv4 address it carries. */
function canonicalIp(text: string): string {
  const addr = ipaddr.parse(parseNetwork(text));
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address().toString() : addr.toString();
}

/** The stored subject for a ban of `kind`; DirectoryError('invalid') says what is wrong. */
export function parseBanSubject(kind: BanKind, subject: string): string {
  const text = typeof subject === 'string' ? subject.trim() : '';
  switch (kind) {
    case 'ip':
      if (text === '') invalid('an IP ban needs the IP address, e.g. "192.0.2.7" or "2001:db8::7"');
      if (text.includes('/')) invalid(`"${text}" is a network: ban it with kind "subnet"`);
      return canonicalIp(text);
    case 'subnet':
      if (text === '') invalid('a subnet ban needs the network in CIDR form, e.g. "192.0.2.0/24" or "2001:db8::/48"');
      if (!text.includes('/')) invalid(`"${text}" is not a CIDR network (e.g. "192.0.2.0/24"); to ban one address use kind "ip"`);
      return parseNetwork(text);
    case 'account':
      if (text === '') invalid('an account ban needs the mailbox address, e.g. "alice@example.com"');
      return parseAddress(text).address;
    default:
      return invalid(`ban kind must be one of ${BAN_KINDS.join(', ')}, not "${String(kind)}"`);
  }
}

/**
 * Any ban subject in its stored form, whatever its kind (for lifting): an address lower-cased,
 * a CIDR or IP in canonical form (a malformed CIDR is an error), anything else trimmed and
 * lower-cased (it then matches no ban).
 */
export function normaliseBanSubject(subject: string): string {
  const text = typeof subject === 'string' ? subject.trim() : '';
  if (text === '') invalid('a ban subject is required: an IP address, a CIDR network or a mailbox address');
  if (text.includes('@')) return parseAddress(text).address;
  if (text.includes('/')) return parseNetwork(text);
  return attempt(() => canonicalIp(text)) || normaliseName(text);
}

/** The network of a CIDR, host bits cleared (`192.0.2.7/24` -> `192.0.2.0/24`); '' if malformed. */
/**
 * Canonical forms of lookup subjects, remembered: every login asks about its client's IP and
 * subnet, clients come back, and canonicalising with ipaddr.js costs more than the lookup.
 */
const canonicalLookupIp = memoise((ip) => attempt(() => canonicalIp(ip)));
const canonicalLookupSubnet = memoise((subnet) => lookupSubnet(subnet));
const canonicalLookupAccount = memoise((account) => attempt(() => parseAddress(account).address));

function lookupSubnet(value: string): string {
  return attempt(() => {
    const text = value.trim();
    const [addr, bits] = ipaddr.parseCIDR(text);
    const network = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
    return parseNetwork(`${network.toString()}/${bits}`);
  });
}

function parseSeconds(seconds: number): number {
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds <= 0 || seconds > MAX_BAN_SECONDS) {
    invalid(`a ban lasts a whole number of seconds from 1 to ${MAX_BAN_SECONDS} (100 years), not ${String(seconds)}`);
  }
  return seconds;
}

function parseReason(reason: string | undefined): string {
  // One line for the operator's table: control characters and runs of space become one space.
  const text = (typeof reason === 'string' ? reason : '').replace(/[\s\p{Cc}]+/gu, ' ').trim();
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH - 1)}…` : text;
}

function toBan(row: Selectable<BansTable>): Ban {
  return {
    id: Number(row.id),
    kind: row.kind as BanKind,
    subject: row.subject,
    reason: row.reason,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

function toBanRecord(row: Selectable<BansTable>): BanRecord {
  return { ...toBan(row), liftedAt: row.lifted_at };
}

export function createBanStore(s: Store, clock: Clock = () => new Date()): BanAdmin {
  const { db } = s;
  const nowIso = () => clock().toISOString();

  // Runs on every login: compiled once, one statement, an index seek per subject on
  // (subject, expires_at). An absent subject is '', which no row has (CHECK subject <> '').
  const inForce = prepareQuery(db, (now: string, ip: string, subnet: string, account: string) =>
    db
      .selectFrom('bans')
      .selectAll()
      .where('subject', 'in', [ip, subnet, account])
      .where('expires_at', '>', now)
      .where('lifted_at', 'is', null)
      .where((eb) =>
        eb.or([
          eb.and([eb('kind', '=', 'ip'), eb('subject', '=', ip)]),
          eb.and([eb('kind', '=', 'subnet'), eb('subject', '=', subnet)]),
          eb.and([eb('kind', '=', 'account'), eb('subject', '=', account)]),
        ]),
      )
      .orderBy('id'),
  );

  // Every login asks about its client and its mailbox. Where the store has a change version,
  // the bans in force are kept in memory and reloaded when anything was written: by this
  // process at once, by another (the CLI lifting a ban) within memo-reader.ts RECHECK_MS.
  let snapshot: { byKey: Map<string, Selectable<BansTable>[]>; version: string } | undefined;
  // After a write's commit: a snapshot taken during its transaction must not outlive it, even
  // if the transaction rolled back (the version only ever grows).
  const changed = (): void => {
    snapshot = undefined;
  };
  /** The usual case, told before any key is built: the snapshot is current and holds no ban. */
  const noneInForce = (): boolean => snapshot !== undefined && snapshot.byKey.size === 0 && snapshot.version === s.version!();
  async function inForceFromMemory(keys: string[]): Promise<Selectable<BansTable>[]> {
    const version = s.version!();
    if (snapshot && snapshot.version !== version) snapshot = undefined;
    if (snapshot && snapshot.byKey.size === 0) return []; // the usual case: nobody is banned
    const now = nowIso();
    if (!snapshot) {
      const rows = await db.selectFrom('bans').selectAll().where('expires_at', '>', now).where('lifted_at', 'is', null).orderBy('id').execute();
      const byKey = new Map<string, Selectable<BansTable>[]>();
      for (const r of rows) byKey.set(`${r.kind} ${r.subject}`, [...(byKey.get(`${r.kind} ${r.subject}`) ?? []), r]);
      snapshot = { byKey, version };
    }
    const found = keys.flatMap((k) => snapshot!.byKey.get(k) ?? []).filter((r) => r.expires_at > now);
    return found.sort((a, b) => Number(a.id) - Number(b.id));
  }

  return {
    async addBan(input: NewBan) {
      const kind = input?.kind;
      if (!BAN_KINDS.includes(kind)) invalid(`ban kind must be one of ${BAN_KINDS.join(', ')}, not "${String(kind)}"`);
      const subject = parseBanSubject(kind, input.subject);
      const seconds = parseSeconds(input.seconds);
      const reason = parseReason(input.reason);
      const now = clock();
      const createdAt = now.toISOString();
      const expiresAt = new Date(now.getTime() + seconds * 1000).toISOString();
      const ban = await db.transaction().execute(async (trx) => {
        const standing = await trx
          .selectFrom('bans')
          .selectAll()
          .where('subject', '=', subject)
          .where('kind', '=', kind)
          .where('expires_at', '>', createdAt)
          .where('lifted_at', 'is', null)
          .orderBy('expires_at', 'desc')
          .executeTakeFirst();
        if (standing) {
          // Never shorten a standing ban: a later, shorter ban only refreshes the reason.
          const until = standing.expires_at > expiresAt ? standing.expires_at : expiresAt;
          await trx.updateTable('bans').set({ expires_at: until, reason }).where('id', '=', standing.id).execute();
          return toBan({ ...standing, expires_at: until, reason });
        }
        const row = { kind, subject, reason, created_at: createdAt, expires_at: expiresAt, lifted_at: null };
        const { id } = await trx.insertInto('bans').values(row).returning('id').executeTakeFirstOrThrow();
        return toBan({ id, ...row });
      });
      // After the commit: a snapshot taken during the transaction must not outlive it.
      changed();
      return ban;
    },

    async activeBans(subjects) {
      if (s.version && noneInForce()) return [];
      const ip = subjects?.ip ? canonicalLookupIp(subjects.ip) : '';
      const subnet = subjects?.subnet ? canonicalLookupSubnet(subjects.subnet) : '';
      const account = subjects?.account ? canonicalLookupAccount(subjects.account) : '';
      if (ip === '' && subnet === '' && account === '') return [];
      if (!s.version) return (await inForce(nowIso(), ip, subnet, account)).map(toBan);
      const keys = [ip && `ip ${ip}`, subnet && `subnet ${subnet}`, account && `account ${account}`].filter((k) => k !== '');
      return (await inForceFromMemory(keys)).map(toBan);
    },

    async listBans(opts) {
      let q = db.selectFrom('bans').selectAll();
      if (!opts?.all) q = q.where('expires_at', '>', nowIso()).where('lifted_at', 'is', null);
      const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
      return rows.map(toBanRecord);
    },

    async liftBans(subject) {
      const key = normaliseBanSubject(subject);
      const now = nowIso();
      const result = await db
        .updateTable('bans')
        .set({ lifted_at: now })
        .where('subject', '=', key)
        .where('expires_at', '>', now)
        .where('lifted_at', 'is', null)
        .executeTakeFirst();
      changed();
      return Number(result.numUpdatedRows);
    },

    async pruneBans(olderThanSeconds) {
      if (typeof olderThanSeconds !== 'number' || !Number.isInteger(olderThanSeconds) || olderThanSeconds < 0) {
        invalid(`prune bans that ended a whole number of seconds ago (0 or more), not ${String(olderThanSeconds)}`);
      }
      const cutoff = new Date(clock().getTime() - olderThanSeconds * 1000).toISOString();
      const result = await db
        .deleteFrom('bans')
        .where((eb) => eb.or([eb('expires_at', '<=', cutoff), eb.and([eb('lifted_at', 'is not', null), eb('lifted_at', '<=', cutoff)])]))
        .executeTakeFirst();
      changed();
      return Number(result.numDeletedRows);
    },
  };
}
