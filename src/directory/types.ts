/**
 * The mailbox directory as the rest of Postern sees it: plain records and one interface,
 * `Directory`, that each storage engine implements (SQLite now, PostgreSQL later) without
 * callers changing. Addresses are stored and looked up in lower case.
 */
import type { Protocol } from '../authhttp/types.js';
import type { SecretField, StoredSecret } from './secret-fields.js';
import type { AppPassword } from '../app-passwords/types.js';

export interface Domain {
  id: number;
  /** Lower-case domain name, e.g. `example.com`. */
  name: string;
  /** Other names that mean this domain (`alice@alias.example` logs in as `alice@example.com`). */
  aliases: string[];
  createdAt: string;
}

/** What lives in a served domain (mailboxes and address aliases keep it from being removed). */
export interface DomainCounts {
  domain: string;
  mailboxes: number;
  aliases: number;
}

export interface Mailbox {
  id: number;
  /** Canonical lower-case address `local@domain`. */
  address: string;
  domainId: number;
  /** A Dovecot-style `{SCHEME}hash` or bare crypt string; null means no password login is possible. */
  passwordHash: string | null;
  enabled: boolean;
  /** Protocols this mailbox may use; all of them by default. */
  protocols: Protocol[];
  /** CIDR networks the client must come from; empty means anywhere. */
  networks: string[];
  createdAt: string;
  updatedAt: string;
  /**
   * The reversible credential for APOP and CRAM-MD5 as a vault ciphertext (purpose
   * `credentials`, bound to `reversibleSecretBinding(id)`), never clear text; null when the
   * mailbox has not opted in. Never printed: show only that it is set, its key id and when.
   */
  reversibleSecret: string | null;
  /** When the reversible credential was last set or cleared; null if never. */
  secretChangedAt: string | null;
  /**
   * The name the backend knows this mailbox by (nginx logs in to IMAP/POP3 with it, and SMTP's
   * XCLIENT LOGIN carries it); null: the canonical address.
   */
  backendLogin: string | null;
}

export {
  SECRET_FIELDS,
  secretBinding,
  reversibleSecretBinding,
  masterSecretBinding,
  totpSecretBinding,
  describeSecretOwner,
  type SecretField,
  type StoredSecret,
} from './secret-fields.js';

export interface Alias {
  id: number;
  /** Lower-case alias address; it logs in as, and receives mail for, its mailbox. */
  address: string;
  mailboxId: number;
  /** The target mailbox's address, for listings. */
  mailboxAddress: string;
}

export interface BackendPorts {
  imap: number | null;
  pop3: number | null;
  /** Authenticated submission. */
  smtp: number | null;
  /** Inbound mail (`Auth-Method: none`); falls back to `smtp` when null. */
  mx: number | null;
}

export interface Backend {
  id: number;
  name: string;
  /** An IP literal or a host name (resolved to an IP before it reaches nginx). */
  host: string;
  ports: BackendPorts;
  /**
   * The master login Postern gives nginx for IMAP/POP3 logins to this backend (Dovecot's
   * master users): `<backend login><masterSeparator><masterUser>` with the master password.
   * null: none, nginx logs in as the user.
   */
  masterUser: string | null;
  /**
   * The master password as a vault ciphertext (purpose `credentials`, bound to
   * `masterSecretBinding(id)`), never clear text. null with a master user set: it was reset
   * (`postern secrets reset`), and logins to this backend get a temporary failure.
   */
  masterSecret: string | null;
  /** When the master login was last set or cleared; null if never. */
  masterChangedAt: string | null;
  /** Dovecot's auth_master_user_separator on this backend, `*` by default. */
  masterSeparator: string;
}

/** A backend's master login, as `postern backend master set` stores it. */
export interface BackendMaster {
  user: string;
  /** The master password, already encrypted with masterSecretBinding(backend id). */
  ciphertext: string;
  /** Default `*`. */
  separator?: string;
}

/**
 * Where logins go. `mailbox` beats `domain` beats `default`. `unknown` routes logins and
 * recipients that the directory does not know (to a legacy server during a migration), per
 * domain or globally; without one, unknown users are refused.
 */
export type RouteKind = 'mailbox' | 'domain' | 'default' | 'unknown';

export interface Route {
  id: number;
  kind: RouteKind;
  /** Mailbox address for `mailbox`, domain name for `domain` and (optionally) `unknown`, null otherwise. */
  subject: string | null;
  backendId: number;
  backendName: string;
}

/** EXTERNAL logins: a verified client certificate identified by its subject DN or SHA-1 fingerprint. */
export type CertMatch = 'subject' | 'fingerprint';

export interface CertMapping {
  id: number;
  match: CertMatch;
  /** RFC 2253 subject as nginx sends it, or 40 lower-case hex characters. */
  value: string;
  mailboxId: number;
  mailboxAddress: string;
}

/** How a login name led to a mailbox. */
export type LoginMatch = 'address' | 'alias' | 'domain-alias';

export interface LoginTarget {
  mailbox: Mailbox;
  via: LoginMatch;
}

export interface NewMailbox {
  address: string;
  passwordHash: string | null;
  enabled?: boolean;
  protocols?: Protocol[];
  networks?: string[];
}

export interface MailboxChanges {
  passwordHash?: string | null;
  enabled?: boolean;
  protocols?: Protocol[];
  networks?: string[];
  /** null clears it (the backend is then given the address). */
  backendLogin?: string | null;
}

export interface NewBackend {
  name: string;
  host: string;
  ports: Partial<BackendPorts>;
}

/** A problem the caller can fix (unknown name, duplicate, invalid value); the message says what to do. */
export class DirectoryError extends Error {
  constructor(
    readonly code: 'not-found' | 'exists' | 'invalid' | 'in-use',
    message: string,
  ) {
    super(message);
    this.name = 'DirectoryError';
  }
}

/** What the auth path reads. Every method may reject (database down): callers fail closed. */
export interface DirectoryReader {
  /** Resolves a login name (already lower-cased, with a domain) through address, alias, then domain alias. */
  findLogin(address: string): Promise<LoginTarget | null>;
  /** The canonical domain name if `name` is a served domain or one of its aliases. */
  findDomain(name: string): Promise<Domain | null>;
  findMailboxByCert(match: CertMatch, value: string): Promise<Mailbox | null>;
  /** The backend for a mailbox: its own route, else its domain's, else the default; null if none. */
  routeFor(mailbox: Mailbox): Promise<Backend | null>;
  /** The backend for unknown users of `domain` (or globally when null or no domain route). */
  unknownRoute(domain: string | null): Promise<Backend | null>;
  /**
   * The app password of this mailbox with this hash (src/app-passwords/secret.ts appPasswordHash),
   * revoked and expired ones included (the caller judges them); null when the mailbox has none.
   */
  findAppPassword(mailboxId: number, hash: string): Promise<AppPassword | null>;
  /** Cheap round-trip used by /readyz. */
  ping(): Promise<void>;
}

/** What the CLI and (later) the admin API change. */
export interface DirectoryAdmin {
  addDomain(name: string): Promise<Domain>;
  listDomains(): Promise<Domain[]>;
  /** How many mailboxes and address aliases live in each served domain, by name: counted by the database, nothing listed. */
  countPerDomain(): Promise<DomainCounts[]>;
  removeDomain(name: string): Promise<void>;
  addDomainAlias(alias: string, domain: string): Promise<void>;
  removeDomainAlias(alias: string): Promise<void>;

  addMailbox(input: NewMailbox): Promise<Mailbox>;
  getMailbox(address: string): Promise<Mailbox | null>;
  listMailboxes(filter?: { domain?: string }): Promise<Mailbox[]>;
  changeMailbox(address: string, changes: MailboxChanges): Promise<Mailbox>;
  /** Sets a new hash only if the stored one is still `expectedHash` (an upgrade must not undo a concurrent change). */
  replacePasswordHash(mailboxId: number, expectedHash: string, newHash: string): Promise<boolean>;
  /**
   * Stores (or with null clears) the mailbox's reversible credential. `ciphertext` must already
   * be a vault ciphertext bound to this mailbox: the caller encrypts, and anything that is not
   * a vault ciphertext is refused, so clear text can never be stored.
   */
  setReversibleSecret(address: string, ciphertext: string | null): Promise<Mailbox>;
  removeMailbox(address: string): Promise<void>;

  addAlias(address: string, mailbox: string): Promise<Alias>;
  listAliases(filter?: { mailbox?: string }): Promise<Alias[]>;
  removeAlias(address: string): Promise<void>;

  addBackend(input: NewBackend): Promise<Backend>;
  getBackend(name: string): Promise<Backend | null>;
  listBackends(): Promise<Backend[]>;
  changeBackend(name: string, changes: Partial<Omit<NewBackend, 'ports'>> & { ports?: Partial<BackendPorts> }): Promise<Backend>;
  removeBackend(name: string): Promise<void>;
  /**
   * Sets (or with null clears) the backend's master login. The password must already be a vault
   * ciphertext bound to this backend: anything else is refused, so clear text is never stored.
   */
  setBackendMaster(name: string, master: BackendMaster | null): Promise<Backend>;

  /** Creates or replaces the route for (kind, subject). */
  setRoute(kind: RouteKind, subject: string | null, backend: string): Promise<Route>;
  listRoutes(): Promise<Route[]>;
  removeRoute(kind: RouteKind, subject: string | null): Promise<void>;

  addCertMapping(match: CertMatch, value: string, mailbox: string): Promise<CertMapping>;
  listCertMappings(): Promise<CertMapping[]>;
  removeCertMapping(match: CertMatch, value: string): Promise<void>;

  /** Inserts many mailboxes in one transaction; existing addresses are reported, not overwritten. */
  importMailboxes(rows: NewMailbox[]): Promise<{ added: number; existing: string[] }>;

  /** The vault's stored canaries (src/vault/canary.ts), one per key id, ordered by key id. */
  listCanaries(): Promise<VaultCanary[]>;
  /** Stores the canary for `keyId`, replacing one already there (startupCheck says when). */
  saveCanary(keyId: string, ciphertext: string): Promise<void>;
  /**
   * How many stored secrets name each vault key id (read from the `pv1.<keyId>.` header, no
   * decryption), over every secret field (SECRET_FIELDS). Ids with no secret are absent; a value
   * that names no key id (malformed) is not counted.
   */
  secretsPerKeyId(): Promise<Map<string, number>>;
  /** Up to `limit` stored secrets of one field with row id > `afterId`, by id (keyset paging). */
  listSecretsPage(field: SecretField, afterId: number, limit: number): Promise<StoredSecret[]>;
  /**
   * Re-encryption's write: sets `next` only if the stored ciphertext is still `expected` (a
   * concurrent change wins); when it was last changed is kept, since the secret is the same.
   */
  replaceSecret(field: SecretField, id: number, expected: string, next: string): Promise<boolean>;
  /** Clears every stored secret under `keyId`, in every field; returns how many per field. */
  clearSecretsOfKey(keyId: string): Promise<Record<SecretField, number>>;
}

/** A stored vault canary: the key id and the canary sealed under it (never key material). */
export interface VaultCanary {
  keyId: string;
  ciphertext: string;
  createdAt: string;
}

export interface Directory extends DirectoryReader, DirectoryAdmin {
  close(): Promise<void>;
}
