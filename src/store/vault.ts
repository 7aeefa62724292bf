/**
 * What the vault needs from the database (src/vault/ itself is pure): its canaries, one row per
 * key id, and how many stored secrets name each key id, for the start-up check and `postern
 * keys status`. Engine-neutral Kysely only.
 *
 * Counting reads the ciphertexts' headers, never decrypts: `pv1.<keyId>.` is at most 37
 * characters, so only that prefix (substr, the same in SQLite and PostgreSQL) of each secret is
 * read, in keyset-paginated batches over the primary key, so a million mailboxes take a few
 * hundred small queries and bounded memory rather than one huge result.
 */
import { sql } from 'kysely';
import { DirectoryError, type VaultCanary } from '../directory/types.js';
import { KEY_ID_PATTERN, keyIdOf } from '../vault/index.js';
import { now, type Store } from './rows.js';

/** `pv1.` + a 32-character id + `.`: everything keyIdOf() looks at. */
const HEADER_CHARS = 4 + 32 + 1;
export const COUNT_BATCH = 5000;

export async function listCanaries(s: Store): Promise<VaultCanary[]> {
  const rows = await s.db.selectFrom('vault_canaries').selectAll().orderBy('key_id').execute();
  return rows.map((r) => ({ keyId: r.key_id, ciphertext: r.ciphertext, createdAt: r.created_at }));
}

export async function saveCanary(s: Store, keyId: string, ciphertext: string): Promise<void> {
  if (typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId)) throw new DirectoryError('invalid', 'a canary needs a valid vault key id');
  if (typeof ciphertext !== 'string' || keyIdOf(ciphertext) !== keyId) {
    throw new DirectoryError('invalid', `a canary for key "${keyId}" must be a vault ciphertext naming that key; nothing was written`);
  }
  const at = now();
  await s.db
    .insertInto('vault_canaries')
    .values({ key_id: keyId, ciphertext, created_at: at })
    .onConflict((oc) => oc.column('key_id').doUpdateSet({ ciphertext, created_at: at }))
    .execute();
}

export async function secretsPerKeyId(s: Store, batch = COUNT_BATCH): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let after = 0;
  for (;;) {
    const rows = await s.db
      .selectFrom('mailboxes')
      .select(['id', sql<string>`substr(reversible_secret, 1, ${sql.lit(HEADER_CHARS)})`.as('head')])
      .where('reversible_secret', 'is not', null)
      .where('id', '>', after)
      .orderBy('id')
      .limit(batch)
      .execute();
    for (const r of rows) {
      const id = keyIdOf(r.head);
      if (id !== null) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < batch) return counts;
    after = last.id;
  }
}

/**
 * One page of the stored secrets for `postern secrets reencrypt` and `secrets reset`: mailboxes
 * with a reversible credential and id > `afterId`, in id order (keyset pagination).
 */
export async function listSecretsPage(s: Store, afterId: number, limit: number): Promise<Array<{ id: number; address: string; ciphertext: string }>> {
  if (!Number.isSafeInteger(afterId) || !Number.isSafeInteger(limit) || limit < 1) {
    throw new DirectoryError('invalid', 'a page of secrets needs an integer id to start after and a positive limit');
  }
  const rows = await s.db
    .selectFrom('mailboxes')
    .select(['id', 'address', 'reversible_secret'])
    .where('reversible_secret', 'is not', null)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, address: r.address, ciphertext: r.reversible_secret as string }));
}

/**
 * Re-encryption's write: replaces the mailbox's ciphertext only if it is still `expected`
 * (compare-and-set in one UPDATE, so a concurrent `mailbox secret set` or `clear` wins). The
 * secret itself is unchanged, so `secret_changed_at` (and `updated_at`) stay as they are.
 */
export async function replaceReversibleSecret(s: Store, id: number, expected: string, next: string): Promise<boolean> {
  if (typeof next !== 'string' || keyIdOf(next) === null) {
    throw new DirectoryError('invalid', 'a reversible credential must be stored as a vault ciphertext; nothing was written');
  }
  const result = await s.db
    .updateTable('mailboxes')
    .set({ reversible_secret: next })
    .where('id', '=', id)
    .where('reversible_secret', '=', expected)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * `postern secrets reset --key <id>`: clears every reversible credential encrypted with that key
 * id (matched on the exact `pv1.<keyId>.` header, case-sensitively); returns how many.
 */
export async function clearSecretsOfKey(s: Store, keyId: string): Promise<number> {
  if (typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId)) throw new DirectoryError('invalid', 'a vault key id is needed');
  const prefix = `pv1.${keyId}.`;
  const result = await s.db
    .updateTable('mailboxes')
    .set({ reversible_secret: null, secret_changed_at: null, updated_at: now() })
    .where('reversible_secret', 'is not', null)
    .where(sql<string>`substr(reversible_secret, 1, ${sql.lit(prefix.length)})`, '=', prefix)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
