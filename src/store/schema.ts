/**
 * Kysely's view of the directory tables (the shape migrations/0001-initial.ts,
 * 0002-bans.ts, 0003-secrets.ts, 0004-vault-canaries.ts, 0005-backend-credentials.ts, 0006-admins.ts, 0007-admin-totp.ts, 0008-login-history.ts and 0009-app-passwords.ts create).
 * Columns are plain text and integers on purpose: the same queries run on SQLite and,
 * later, PostgreSQL. Booleans are 0/1 integers, timestamps ISO-8601 UTC text, lists
 * comma-separated text.
 */
import type { Generated } from 'kysely';

export interface DomainsTable {
  id: Generated<number>;
  name: string;
  created_at: string;
}

export interface DomainAliasesTable {
  id: Generated<number>;
  alias: string;
  domain_id: number;
  created_at: string;
}

export interface MailboxesTable {
  id: Generated<number>;
  address: string;
  domain_id: number;
  password_hash: string | null;
  enabled: number;
  /** Comma-separated subset of imap,pop3,smtp in that order. */
  protocols: string;
  /** Comma-separated CIDRs or IPs; '' means anywhere. */
  networks: string;
  created_at: string;
  updated_at: string;
  /** A vault ciphertext (never clear text) for APOP/CRAM-MD5; NULL when not set. */
  reversible_secret: string | null;
  secret_changed_at: string | null;
  /** The name the backend knows the mailbox by; NULL: its address. */
  backend_login: string | null;
}

export interface AliasesTable {
  id: Generated<number>;
  address: string;
  /** The served domain the alias address belongs to (a domain with aliases cannot vanish). */
  domain_id: number;
  mailbox_id: number;
  created_at: string;
}

export interface BackendsTable {
  id: Generated<number>;
  name: string;
  host: string;
  imap_port: number | null;
  pop3_port: number | null;
  smtp_port: number | null;
  mx_port: number | null;
  created_at: string;
  /** The backend's master login (Dovecot master user); NULL: none. */
  master_user: string | null;
  /** Its password as a vault ciphertext (never clear text); NULL when not set or reset. */
  master_secret: string | null;
  master_changed_at: string | null;
  /** Dovecot's auth_master_user_separator for this backend. */
  master_separator: Generated<string>;
}

export interface RoutesTable {
  id: Generated<number>;
  kind: string;
  /**
   * '' for `default` and the global `unknown` route, never NULL: SQLite and PostgreSQL both
   * treat NULLs as distinct in a UNIQUE index, which would allow two default routes.
   */
  subject: string;
  /** Set for `mailbox` routes, so removing the mailbox removes its route. */
  mailbox_id: number | null;
  /** Set for `domain` and per-domain `unknown` routes. */
  domain_id: number | null;
  backend_id: number;
  created_at: string;
}

export interface CertMappingsTable {
  id: Generated<number>;
  match: string;
  value: string;
  mailbox_id: number;
  created_at: string;
}

export interface BansTable {
  id: Generated<number>;
  /** ip | subnet | account (CHECK constraint). */
  kind: string;
  /** Canonical IP, canonical CIDR or lower-case address; never ''. */
  subject: string;
  reason: string;
  created_at: string;
  expires_at: string;
  /** Set when an operator lifted the ban before it expired. */
  lifted_at: string | null;
}

export interface VaultCanariesTable {
  /** The vault key id the canary proves. */
  key_id: string;
  /** The canary, sealed under that key (never key material). */
  ciphertext: string;
  created_at: string;
}

export interface AdminsTable {
  id: Generated<number>;
  /** Lower-case login name. */
  name: string;
  /** `{ARGON2ID}...`, never clear text. */
  password_hash: string;
  created_at: string;
  updated_at: string;
  /** The TOTP seed as a vault ciphertext (purpose `totp`), never clear text; NULL when none. */
  totp_secret: string | null;
  totp_changed_at: string | null;
  /** When enrolment was confirmed; NULL: 2FA off or still pending. */
  totp_enabled_at: string | null;
  /** The last accepted TOTP time step (replay refusal). */
  totp_last_step: number | null;
  totp_required: Generated<number>;
}

export interface AdminRecoveryCodesTable {
  id: Generated<number>;
  admin_id: number;
  /** Hex SHA-256 of the normalised code (shown once, never stored). */
  code_hash: string;
  created_at: string;
  used_at: string | null;
}

export interface AdminSessionsTable {
  /** Hex SHA-256 of the session id in the cookie (the id itself is never stored). */
  id_hash: string;
  admin_id: number;
  created_at: string;
  last_seen_at: string;
  /** The absolute end of the session. */
  expires_at: string;
  client_ip: string;
  user_agent: string;
  revoked: number;
  /** `full`, `second-factor` or `enrol` (src/admin/sessions.ts SessionStage). */
  stage: Generated<string>;
}

export interface ApiTokensTable {
  id: Generated<number>;
  admin_id: number;
  label: string;
  /** Hex SHA-256 of the token (shown once at creation, never stored). */
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked: number;
}

export interface AppPasswordsTable {
  id: Generated<number>;
  mailbox_id: number;
  label: string;
  /** Hex SHA-256 of the normalised app password (shown once at creation, never stored). */
  hash: string;
  /** Comma-separated subset of imap,pop3,smtp in that order. */
  protocols: string;
  /** Comma-separated CIDRs; '' means anywhere. */
  networks: string;
  expires_at: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface LoginHistoryTable {
  id: Generated<number>;
  /** ISO-8601 UTC. */
  at: string;
  /** The login as sent: printable, at most 256 characters ('' when unreadable). */
  login: string;
  /** Canonical mailbox address, when one was identified. */
  mailbox: string | null;
  client_ip: string;
  /** The address as 32 hex digits (IPv4 mapped into ::ffff:0:0/96) for IP and CIDR filters; NULL: not an address. */
  client_ip_key: string | null;
  /** imap | pop3 | smtp (CHECK constraint). */
  protocol: string;
  method: string;
  /** ok | fail | tempfail (CHECK constraint). */
  result: string;
  /** The decision's Reason code (src/decision/outcome.ts). */
  reason: string;
  /** hit | stale, or NULL. */
  cache: string | null;
  /** The app password's label (never the password), or NULL. */
  app_password: string | null;
}

export interface LoginHistoryHoursTable {
  /** The hour's first instant, ISO-8601 UTC. */
  hour: string;
  result: string;
  logins: number;
}

export interface DB {
  domains: DomainsTable;
  domain_aliases: DomainAliasesTable;
  mailboxes: MailboxesTable;
  aliases: AliasesTable;
  backends: BackendsTable;
  routes: RoutesTable;
  cert_mappings: CertMappingsTable;
  bans: BansTable;
  vault_canaries: VaultCanariesTable;
  admins: AdminsTable;
  admin_sessions: AdminSessionsTable;
  api_tokens: ApiTokensTable;
  admin_recovery_codes: AdminRecoveryCodesTable;
  login_history: LoginHistoryTable;
  login_history_hours: LoginHistoryHoursTable;
  app_passwords: AppPasswordsTable;
}
