/**
 * App passwords as the rest of Postern sees them: records (never the password, never its
 * hash outside the store) and the store interface the CLI and the console change them through.
 * The auth path reads them with DirectoryReader.findAppPassword (src/directory/types.ts).
 */
import type { Protocol } from '../authhttp/types.js';

export interface AppPassword {
  id: number;
  mailboxId: number;
  /** What uses it ("alice's phone"), shown in listings and logged with every login made with it. */
  label: string;
  /** Protocols it may be used for; the mailbox's own protocols still apply on top. */
  protocols: Protocol[];
  /** CIDR networks the client must come from; empty: anywhere (the mailbox's own networks still apply). */
  networks: string[];
  /** ISO-8601 UTC; null: it does not expire. */
  expiresAt: string | null;
  createdAt: string;
  /** Updated at most once a minute (last-used.ts); null: never used. */
  lastUsedAt: string | null;
  /** Set when revoked; the row stays so listings can say so (and the hash can never be reused). */
  revokedAt: string | null;
}

/** An app password with its mailbox's address, for listings. */
export interface AppPasswordRecord extends AppPassword {
  mailboxAddress: string;
}

export interface NewAppPassword {
  /** The mailbox's address (an alias is refused, naming its mailbox). */
  mailbox: string;
  label: string;
  /** Default: the mailbox's protocols at the time. Each must be one the mailbox allows. */
  protocols?: readonly string[];
  networks?: readonly string[];
  expiresAt?: string | null;
  /** appPasswordHash() of the generated password: the store refuses anything that is not such a digest. */
  hash: string;
}

/** What the CLI and the console change. */
export interface AppPasswordAdmin {
  addAppPassword(input: NewAppPassword): Promise<AppPasswordRecord>;
  /** Every app password (of one mailbox when given), by mailbox then id. */
  listAppPasswords(filter?: { mailbox?: string }): Promise<AppPasswordRecord[]>;
  /**
   * Revokes app password `id` (of `mailbox` when given, else DirectoryError not-found); revoking
   * a revoked one changes nothing (`already`).
   */
  revokeAppPassword(id: number, opts?: { mailbox?: string }): Promise<{ appPassword: AppPasswordRecord; already: boolean }>;
  /** Records a use (last-used.ts throttles the calls). */
  touchAppPassword(id: number, at: string): Promise<void>;
}
