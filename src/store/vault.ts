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
