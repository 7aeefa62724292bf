/**
 * Schema version 4: the vault's canaries (src/vault/canary.ts), one row per key id, proving at
 * start-up that the key configured under an id is the key that wrote the data naming that id.
 * Additive only: one new table; nothing in versions 1-3 changes.
 *
 *   key_id      the vault key id (`[a-z0-9][a-z0-9-]{0,31}`), primary key.
 *   ciphertext  the canary, sealed under that key (`pv1.<keyId>.…`); never key material.
 *   created_at  when it was written (ISO-8601 UTC text).
 */
import type { Kysely } from 'kysely';
import type { SqlFlavour } from '../engine.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb, _flavour: SqlFlavour): Promise<void> {
  await db.schema
    .createTable('vault_canaries')
    .addColumn('key_id', 'text', (c) => c.primaryKey())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('vault_canaries').execute();
}
