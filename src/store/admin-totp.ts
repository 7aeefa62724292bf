/**
 * The console admins' second factor on the directory database (migrations/0007-admin-totp.ts):
 * the TOTP seed (a vault ciphertext, never clear text), the last accepted time step, the
 * recovery codes (hashed) and the per-admin requirement.
 *
 * Two rules live here because only the database can keep them across processes:
 * - a time step is accepted once: `claimTotpStep` and `enableTotp` write the step with a
 *   compare-and-set (`where totp_last_step is null or totp_last_step < :step`), so of two
 *   servers (or two requests) given the same code, exactly one succeeds;
 * - any change of the second factor revokes the admin's other sessions in the same transaction,
 *   so no session made under the old factor outlives it.
 */
import { DirectoryError } from '../directory/types.js';
import type { Admin, AdminStore, TotpState } from '../admin/types.js';
import { keyIdOf } from '../vault/index.js';
import { now, type Store } from './rows.js';
import type { DB } from './schema.js';
import type { Kysely, Transaction } from 'kysely';
import { parseAdminName, requireAdmin, toAdmin } from './admins.js';

type TotpMethods = Pick<
  AdminStore,
  'getTotp' | 'beginTotp' | 'enableTotp' | 'claimTotpStep' | 'useRecoveryCode' | 'replaceRecoveryCodes' | 'disableTotp' | 'setTotpRequired' | 'resetTotp'
>;

const HASH = /^[0-9a-f]{64}$/;

function checkCodeHashes(hashes: string[]): string[] {
  if (hashes.length === 0 || hashes.some((h) => !HASH.test(h)) || new Set(hashes).size !== hashes.length) {
    throw new DirectoryError('invalid', 'recovery codes must be stored as distinct hex SHA-256 digests');
  }
  return hashes;
}

function checkStep(step: number): number {
  if (!Number.isSafeInteger(step) || step < 0) throw new DirectoryError('invalid', 'a TOTP time step is a non-negative integer');
  return step;
}

/** Revokes the admin's live sessions except `keep` (an id hash); how many. */
async function revokeOthers(trx: Kysely<DB> | Transaction<DB>, adminId: number, keep: string | null): Promise<number> {
  let q = trx.updateTable('admin_sessions').set({ revoked: 1 }).where('admin_id', '=', adminId).where('revoked', '=', 0);
  if (keep !== null) q = q.where('id_hash', '!=', keep);
  return Number((await q.executeTakeFirst()).numUpdatedRows);
}

async function insertCodes(trx: Transaction<DB>, adminId: number, hashes: string[], at: string): Promise<void> {
  await trx.deleteFrom('admin_recovery_codes').where('admin_id', '=', adminId).execute();
  await trx
    .insertInto('admin_recovery_codes')
    .values(hashes.map((h) => ({ admin_id: adminId, code_hash: h, created_at: at, used_at: null })))
    .execute();
}

const CLEARED = { totp_secret: null, totp_changed_at: null, totp_enabled_at: null, totp_last_step: null } as const;

export function adminTotpStore(s: Store): TotpMethods {
  return {
    async getTotp(adminId) {
      const row = await s.db
        .selectFrom('admins')
        .select(['id', 'totp_secret', 'totp_changed_at', 'totp_enabled_at', 'totp_last_step', 'totp_required'])
        .where('id', '=', adminId)
        .executeTakeFirst();
      if (!row) throw new DirectoryError('not-found', `admin ${adminId} does not exist`);
      const left = await s.db
        .selectFrom('admin_recovery_codes')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('admin_id', '=', adminId)
        .where('used_at', 'is', null)
        .executeTakeFirstOrThrow();
      const state: TotpState = {
        adminId,
        secret: row.totp_secret ?? null,
        changedAt: row.totp_changed_at ?? null,
        enabledAt: row.totp_enabled_at ?? null,
        lastStep: row.totp_last_step === null ? null : Number(row.totp_last_step),
        required: Number(row.totp_required) === 1,
        recoveryCodesLeft: Number(left.n),
      };
      return state;
    },

    async beginTotp(adminId, ciphertext) {
      // Only a vault ciphertext is stored: a caller that forgot to encrypt writes nothing.
      if (typeof ciphertext !== 'string' || keyIdOf(ciphertext) === null) throw new DirectoryError('invalid', 'a TOTP secret must be stored as a vault ciphertext; nothing was written');
      const res = await s.db
        .updateTable('admins')
        .set({ totp_secret: ciphertext, totp_changed_at: now(), totp_enabled_at: null, totp_last_step: null })
        .where('id', '=', adminId)
        .where('totp_enabled_at', 'is', null)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },

    async enableTotp(adminId, expectedSecret, step, codeHashes, keep) {
      checkStep(step);
      const hashes = checkCodeHashes(codeHashes);
      return s.db.transaction().execute(async (trx) => {
        const at = now();
        const res = await trx
          .updateTable('admins')
          .set({ totp_enabled_at: at, totp_last_step: step, totp_changed_at: at })
          .where('id', '=', adminId)
          .where('totp_secret', '=', expectedSecret)
          .where('totp_enabled_at', 'is', null)
          .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0) return { ok: false, revokedSessions: 0 };
        await insertCodes(trx, adminId, hashes, at);
        return { ok: true, revokedSessions: await revokeOthers(trx, adminId, keep) };
      });
    },

    async claimTotpStep(adminId, step) {
      checkStep(step);
      const res = await s.db
        .updateTable('admins')
        .set({ totp_last_step: step })
        .where('id', '=', adminId)
        .where('totp_enabled_at', 'is not', null)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },

    async useRecoveryCode(adminId, codeHash) {
      if (!HASH.test(codeHash)) return false;
      const res = await s.db
        .updateTable('admin_recovery_codes')
        .set({ used_at: now() })
        .where('admin_id', '=', adminId)
        .where('code_hash', '=', codeHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },

    async replaceRecoveryCodes(adminId, codeHashes, keep) {
      const hashes = checkCodeHashes(codeHashes);
      return s.db.transaction().execute(async (trx) => {
        await insertCodes(trx, adminId, hashes, now());
        return { revokedSessions: await revokeOthers(trx, adminId, keep) };
      });
    },

    async disableTotp(adminId, keep) {
      return s.db.transaction().execute(async (trx) => {
        await trx.updateTable('admins').set(CLEARED).where('id', '=', adminId).execute();
        await trx.deleteFrom('admin_recovery_codes').where('admin_id', '=', adminId).execute();
        return { revokedSessions: await revokeOthers(trx, adminId, keep) };
      });
    },

    async setTotpRequired(input, required) {
      const name = parseAdminName(input);
      const current = await requireAdmin(s, name);
      const row = await s.db.updateTable('admins').set({ totp_required: required ? 1 : 0 }).where('id', '=', current.id).returningAll().executeTakeFirstOrThrow();
      return toAdmin(row);
    },

    async resetTotp(input) {
      const name = parseAdminName(input);
      return s.db.transaction().execute(async (trx) => {
        const current: Admin = await requireAdmin({ ...s, db: trx }, name);
        const row = await trx.updateTable('admins').set(CLEARED).where('id', '=', current.id).returningAll().executeTakeFirstOrThrow();
        await trx.deleteFrom('admin_recovery_codes').where('admin_id', '=', current.id).execute();
        // A lost phone may be a stolen one: every session ends, the one in the thief's hands too.
        const revokedSessions = await revokeOthers(trx, current.id, null);
        return { admin: toAdmin(row), hadTotp: current.twoFactor !== 'off', revokedSessions };
      });
    },
  };
}
