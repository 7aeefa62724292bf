/**
 * What the vault needs from the database (src/vault/ itself is pure): its canaries, one row per
 * key id, and how many stored secrets name each key id, for the start-up check and `postern
 * keys status`. Engine-neutral Kysely only.
 *
 * Every query here covers every secret field of the registry (SECRET_FIELDS in
 * src/directory/secret-fields.ts): mailboxes' reversible credentials, backends' master
 * passwords and admins' TOTP secrets. Table and column names come from that registry, never from input.
 *
 * Counting reads the ciphertexts' headers, never decrypts: `pv1.<keyId>.` is at most 37
 * characters, so only that prefix (substr, the same in SQLite and PostgreSQL) of each secret is
 * read, in keyset-paginated batches over the primary key, so a million mailboxes take a few
 * hundred small queries and bounded memory rather than one huge result.
 */
import { sql } from 'kysely';
import { DirectoryError, SECRET_FIELDS, type SecretField, type StoredSecret, type VaultCanary } from '../directory/types.js';
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

const FIELDS = Object.keys(SECRET_FIELDS) as SecretField[];

function fieldOf(field: SecretField): (typeof SECRET_FIELDS)[SecretField] {
  const f = (SECRET_FIELDS as Record<string, (typeof SECRET_FIELDS)[SecretField] | undefined>)[field];
  if (!f) throw new DirectoryError('invalid', `unknown secret field "${String(field)}"`);
  return f;
}

export async function secretsPerKeyId(s: Store, batch = COUNT_BATCH): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const field of FIELDS) {
    const f = fieldOf(field);
    const column = sql.ref(f.column);
    for (let after = 0; ; ) {
      const { rows } = await sql<{ id: number; head: string }>`
        select id, substr(${column}, 1, ${sql.lit(HEADER_CHARS)}) as head from ${sql.table(f.table)}
        where ${column} is not null and id > ${after} order by id limit ${batch}`.execute(s.db);
      for (const r of rows) {
        const id = keyIdOf(r.head);
        if (id !== null) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      const last = rows[rows.length - 1];
      if (!last || rows.length < batch) break;
      after = Number(last.id);
    }
  }
  return counts;
}

/**
 * One page of one field's stored secrets for `postern secrets reencrypt` and `secrets reset`:
 * rows with a secret and id > `afterId`, in id order (keyset pagination).
 */
export async function listSecretsPage(s: Store, field: SecretField, afterId: number, limit: number): Promise<StoredSecret[]> {
  if (!Number.isSafeInteger(afterId) || !Number.isSafeInteger(limit) || limit < 1) {
    throw new DirectoryError('invalid', 'a page of secrets needs an integer id to start after and a positive limit');
  }
  const f = fieldOf(field);
  const column = sql.ref(f.column);
  const { rows } = await sql<{ id: number; owner: string; ciphertext: string }>`
    select id, ${sql.ref(f.ownerColumn)} as owner, ${column} as ciphertext from ${sql.table(f.table)}
    where ${column} is not null and id > ${afterId} order by id limit ${limit}`.execute(s.db);
  return rows.map((r) => ({ field, id: Number(r.id), owner: r.owner, ciphertext: r.ciphertext }));
}

/**
 * Re-encryption's write: replaces one stored secret only if it is still `expected`
 * (compare-and-set in one UPDATE, so a concurrent `secret set`, `master set` or `clear` wins).
 * The secret itself is unchanged, so when it last changed (and `updated_at`) stay as they are.
 */
export async function replaceSecret(s: Store, field: SecretField, id: number, expected: string, next: string): Promise<boolean> {
  const f = fieldOf(field);
  if (typeof next !== 'string' || keyIdOf(next) === null) {
    throw new DirectoryError('invalid', `a ${f.what} must be stored as a vault ciphertext; nothing was written`);
  }
  const column = sql.ref(f.column);
  const result = await sql`update ${sql.table(f.table)} set ${column} = ${next} where id = ${id} and ${column} = ${expected}`.execute(s.db);
  return Number(result.numAffectedRows ?? 0) > 0;
}

/**
 * `postern secrets reset --key <id>`: clears every stored secret encrypted with that key id
 * (matched on the exact `pv1.<keyId>.` header, case-sensitively), in every field; returns how
 * many per field; when each was last changed becomes NULL, as for one never set. A backend keeps its master
 * user name: with no password its logins get a temporary failure until `postern backend master
 * set` (never a silent login as the user instead).
 */
export async function clearSecretsOfKey(s: Store, keyId: string): Promise<Record<SecretField, number>> {
  if (typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId)) throw new DirectoryError('invalid', 'a vault key id is needed');
  const prefix = `pv1.${keyId}.`;
  const at = now();
  return s.db.transaction().execute(async (trx) => {
    const cleared = {} as Record<SecretField, number>;
    for (const field of FIELDS) {
      const f = fieldOf(field);
      const column = sql.ref(f.column);
      const touched = f.updatedAt === null ? sql`` : sql`, ${sql.ref(f.updatedAt)} = ${at}`;
      const result = await sql`
        update ${sql.table(f.table)} set ${column} = null, ${sql.ref(f.changedAt)} = null${touched}
        where ${column} is not null and substr(${column}, 1, ${sql.lit(prefix.length)}) = ${prefix}`.execute(trx);
      cleared[field] = Number(result.numAffectedRows ?? 0);
    }
    return cleared;
  });
}
