/**
 * Assembles the `Directory` interface, and the `BanStore` beside it, from the per-area modules
 * over one Kysely handle. Engine-neutral: openDirectory (index.ts) picks the engine and runs
 * migrations first.
 */
import type { Kysely } from 'kysely';
import type { AdminStore } from '../admin/types.js';
import type { AppPasswordAdmin } from '../app-passwords/types.js';
import type { Directory } from '../directory/types.js';
import { createAdminStore } from './admins.js';
import { createAppPasswordStore } from './app-passwords.js';
import type { Engine } from './engine.js';
import * as aliases from './aliases.js';
import * as backends from './backends.js';
import { createBanStore, type BanAdmin, type Clock } from './bans.js';
import * as certs from './certs.js';
import * as domains from './domains.js';
import { importMailboxes } from './import.js';
import { WorkerCommitFence } from './history-fence.js';
import type { HistoryWriter } from './history-writer.js';
import { createLoginHistoryStore, excludingHistoryWrites, historyWrites, type LoginHistoryStore } from './login-history.js';
import * as mailboxes from './mailboxes.js';
import { DEFAULT_LOOKUP_MEMORY, lookupVersion, memoisedReader } from './memo-reader.js';
import { createReader } from './reader.js';
import * as routes from './routes.js';
import * as vault from './vault.js';
import type { Store } from './rows.js';
import type { DB } from './schema.js';

/** The directory, the bans, the console's admins and the app passwords, over one database (see src/defence/types.ts for `BanStore`). */
export interface DirectoryWithBans extends Directory, BanAdmin, AdminStore, AppPasswordAdmin, LoginHistoryStore {
  /**
   * Where the engine can, a writer for the login history that works off this thread (a worker
   * with its own connection, history-writer.ts) and whose writes leave the lookup memory alone
   * like the history's own writes here. Close it before the directory.
   */
  openHistoryWriter?(): HistoryWriter;
}

/** Engine-specific parts openDirectory adds (index.ts). */
export interface DirectoryExtras {
  /** Starts a history writer over another connection; its commits go through `fence`. */
  historyWriter?(fence: WorkerCommitFence): HistoryWriter;
}

export interface DirectoryOptions {
  /** Where bans take "now" from; tests inject a clock they can move. Default: the system clock. */
  clock?: Clock;
  /** How many directory answers to keep in memory between writes (memo-reader.ts); 0: none. */
  lookupMemory?: number;
}

export function createDirectory(db: Kysely<DB>, engine: Engine, opts: DirectoryOptions = {}, extras: DirectoryExtras = {}): DirectoryWithBans {
  // The login history's own writes (a flush every second) must not empty the lookups kept in
  // memory, nor those of a history writer on another connection (history-fence.ts).
  const changeVersion = engine.changeVersion;
  const fence = changeVersion && extras.historyWriter ? new WorkerCommitFence(() => changeVersion()) : null;
  const history = historyWrites(fence);
  const version =
    engine.changeVersion && engine.localChanges
      ? lookupVersion(excludingHistoryWrites({ changeVersion: engine.changeVersion, localChanges: engine.localChanges }, history))
      : undefined;
  const s: Store = version ? { db, engine, version } : { db, engine };
  const reader = createReader(s);
  const lookupMemory = opts.lookupMemory ?? DEFAULT_LOOKUP_MEMORY;
  return {
    ...(version && lookupMemory > 0 ? memoisedReader(reader, version, lookupMemory) : reader),
    ...createBanStore(s, opts.clock),
    ...createAdminStore(s),
    ...createAppPasswordStore(s),
    ...createLoginHistoryStore(s, history),
    ...(extras.historyWriter ? { openHistoryWriter: () => extras.historyWriter!(fence ?? new WorkerCommitFence(() => '')) } : {}),

    addDomain: (name) => domains.addDomain(s, name),
    listDomains: () => domains.listDomains(s),
    countPerDomain: () => domains.countPerDomain(s),
    removeDomain: (name) => domains.removeDomain(s, name),
    addDomainAlias: (alias, domain) => domains.addDomainAlias(s, alias, domain),
    removeDomainAlias: (alias) => domains.removeDomainAlias(s, alias),

    addMailbox: (input) => mailboxes.addMailbox(s, input),
    getMailbox: (address) => mailboxes.getMailbox(s, address),
    listMailboxes: (filter) => mailboxes.listMailboxes(s, filter),
    changeMailbox: (address, changes) => mailboxes.changeMailbox(s, address, changes),
    replacePasswordHash: (id, expected, next) => mailboxes.replacePasswordHash(s, id, expected, next),
    setReversibleSecret: (address, ciphertext) => mailboxes.setReversibleSecret(s, address, ciphertext),
    removeMailbox: (address) => mailboxes.removeMailbox(s, address),
    importMailboxes: (rows) => importMailboxes(s, rows),

    addAlias: (address, mailbox) => aliases.addAlias(s, address, mailbox),
    listAliases: (filter) => aliases.listAliases(s, filter),
    removeAlias: (address) => aliases.removeAlias(s, address),

    addBackend: (input) => backends.addBackend(s, input),
    getBackend: (name) => backends.getBackend(s, name),
    listBackends: () => backends.listBackends(s),
    changeBackend: (name, changes) => backends.changeBackend(s, name, changes),
    removeBackend: (name) => backends.removeBackend(s, name),
    setBackendMaster: (name, master) => backends.setBackendMaster(s, name, master),

    setRoute: (kind, subject, backend) => routes.setRoute(s, kind, subject, backend),
    listRoutes: () => routes.listRoutes(s),
    removeRoute: (kind, subject) => routes.removeRoute(s, kind, subject),

    addCertMapping: (match, value, mailbox) => certs.addCertMapping(s, match, value, mailbox),
    listCertMappings: () => certs.listCertMappings(s),
    removeCertMapping: (match, value) => certs.removeCertMapping(s, match, value),

    listCanaries: () => vault.listCanaries(s),
    saveCanary: (keyId, ciphertext) => vault.saveCanary(s, keyId, ciphertext),
    secretsPerKeyId: () => vault.secretsPerKeyId(s),
    listSecretsPage: (field, afterId, limit) => vault.listSecretsPage(s, field, afterId, limit),
    replaceSecret: (field, id, expected, next) => vault.replaceSecret(s, field, id, expected, next),
    clearSecretsOfKey: (keyId) => vault.clearSecretsOfKey(s, keyId),

    close: () => db.destroy(),
  };
}
