/**
 * The vault against the database: the start-up check `postern serve` runs before it listens,
 * and the report `postern keys status` prints. src/vault/ is pure; this is where its checks meet
 * the stored canaries and the count of secrets per key id (src/store/vault.ts).
 *
 * Two cases the pure startupCheck() cannot see, because it needs a keyring:
 *   - no keys configured and no stored secret: the vault is off, nothing to check;
 *   - no keys configured but stored secrets name key ids: refused like a missing key (the
 *     operator emptied `[vault] keys`), naming the ids and counts, or degraded on request.
 * Messages hold ids, counts and example paths only, never key material.
 */
import type { DirectoryAdmin } from '../directory/types.js';
import {
  DEGRADED_FLAG,
  DEGRADED_SETTING,
  KEYS_SETTING,
  checkCanaries,
  keyEnvName,
  makeCanary,
  startupCheck,
  type CanaryStatus,
  type KeyState,
  type Keyring,
} from '../vault/index.js';

export type VaultStore = Pick<DirectoryAdmin, 'listCanaries' | 'saveCanary' | 'secretsPerKeyId'>;

export type VaultStartup =
  /** No keys configured and no stored secret: the vault is off. */
  | { kind: 'off' }
  /**
   * Start. `degraded`: why some secrets cannot be decrypted (empty unless degraded mode was
   * needed); `warnings`: everything else worth an operator's attention; `canariesWritten`: the
   * key ids whose canary was recorded now.
   */
  | { kind: 'ok'; degraded: string[]; warnings: string[]; canariesWritten: string[] }
  /** Do not start; `message` says which key ids, how many secrets, and the ways out. */
  | { kind: 'refused'; message: string };

export async function vaultStartup(keyring: Keyring | null, store: VaultStore, opts: { degraded: boolean }): Promise<VaultStartup> {
  const counts = await store.secretsPerKeyId();
  const needed = [...counts].filter(([, n]) => n > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (!keyring) {
    if (needed.length === 0) return { kind: 'off' };
    if (!opts.degraded) return { kind: 'refused', message: refusalWithoutKeys(needed) };
    const total = needed.reduce((s, [, n]) => s + n, 0);
    return {
      kind: 'ok',
      warnings: [],
      canariesWritten: [],
      degraded: [
        `DEGRADED MODE: ${secrets(total)} cannot be decrypted: no vault keys are configured (${KEYS_SETTING} is empty); they are shown as unreadable and the logins that need them get a temporary failure`,
        ...needed.map(([id, n]) => `DEGRADED MODE: key "${id}" is not configured; ${secrets(n)} ${n === 1 ? 'needs' : 'need'} it`),
        `to recover, add each key above to ${KEYS_SETTING} (one active, the others decrypt-only), or reset those secrets with \`postern secrets reset --key <id>\``,
      ],
    };
  }
  const canaries = (await store.listCanaries()).map((c) => ({ keyId: c.keyId, ciphertext: c.ciphertext }));
  const input = { keyring, canaries, secretsPerKeyId: counts };
  const strict = startupCheck({ ...input, degraded: false });
  let result = strict;
  let degradedLines = 0;
  if (!strict.ok && opts.degraded) {
    result = startupCheck({ ...input, degraded: true });
    // Degraded mode puts its own lines first, then the ordinary warnings (startup-check.ts).
    if (result.ok) degradedLines = result.warnings.filter((w) => w.startsWith('DEGRADED MODE') || w.startsWith('to recover')).length;
  }
  if (!result.ok) return { kind: 'refused', message: result.message };
  for (const id of result.canariesToWrite) {
    const canary = makeCanary(keyring, id);
    await store.saveCanary(canary.keyId, canary.ciphertext);
  }
  return {
    kind: 'ok',
    degraded: result.warnings.slice(0, degradedLines),
    warnings: result.warnings.slice(degradedLines),
    canariesWritten: [...result.canariesToWrite],
  };
}

function refusalWithoutKeys(needed: ReadonlyArray<readonly [string, number]>): string {
  const total = needed.reduce((s, [, n]) => s + n, 0);
  return [
    `Postern will not start: ${secrets(total)} in the database are encrypted with vault keys, but no vault keys are configured (${KEYS_SETTING} is empty).`,
    ...needed.map(([id, n]) => `  - key "${id}" is not configured; ${secrets(n)} ${n === 1 ? 'needs' : 'need'} it`),
    'Starting anyway would make the logins that need these secrets fail (this check exists so that passwords never silently turn blank).',
    '',
    'Way out 1: add the key back (the only key as "active"; beside a new active key as "decrypt-only").',
    ...needed.map(
      ([id]) => `  - ${id}: put the original key in a file and add { id = "${id}", state = "active", file = "/etc/postern/keys/${id}.key" } to ${KEYS_SETTING} (or set ${keyEnvName(id)})`,
    ),
    '',
    'Way out 2: reset those secrets (their values are lost; enter them again afterwards; no other secret is touched):',
    ...needed.map(([id, n]) => `  - postern secrets reset --key ${id}    (${secrets(n)})`),
    '',
    `To start anyway, with these secrets shown as unreadable and the logins that need them answered with a temporary failure, ` +
      `run \`postern serve ${DEGRADED_FLAG}\` or set ${DEGRADED_SETTING} = true.`,
  ].join('\n');
}

/** One key id in `postern keys status`: configured, or named by stored data or a canary. */
export interface KeyStatus {
  id: string;
  /** Its state in the configuration, or 'missing' when the configuration lacks it. */
  state: KeyState | 'missing';
  /** Stored secrets naming this key id. */
  secrets: number;
  /** What its canary says ('missing' for a key the configuration lacks). */
  canary: CanaryStatus;
  /** Not active and no stored secret uses it. */
  retirable: boolean;
  verdict: string;
}

export interface KeysStatusReport {
  /** 'off' when no keys are configured. */
  vault: 'on' | 'off';
  active: string | null;
  /** Configured keys in configuration order, then the ids only the database names, sorted. */
  keys: KeyStatus[];
  /** Key ids stored secrets use that the configuration lacks, with their counts. */
  missing: Array<{ id: string; secrets: number }>;
}

/** The report `postern keys status` prints and the console's Keys page shows (ids and counts only). */
export async function keysStatus(keyring: Keyring | null, store: Pick<VaultStore, 'listCanaries' | 'secretsPerKeyId'>): Promise<KeysStatusReport> {
  const [counts, stored] = await Promise.all([store.secretsPerKeyId(), store.listCanaries()]);
  const n = (id: string): number => counts.get(id) ?? 0;
  const keys: KeyStatus[] = [];
  const reports = keyring ? checkCanaries(keyring, stored) : [];
  for (const kek of keyring?.keys ?? []) {
    const canary = reports.find((r) => r.keyId === kek.id)?.status ?? 'no-canary';
    const used = n(kek.id);
    keys.push({ id: kek.id, state: kek.state, secrets: used, canary, retirable: kek.state !== 'active' && used === 0, verdict: verdict(kek.state, used, canary) });
  }
  const others = new Set<string>([...counts.keys(), ...stored.map((c) => c.keyId)]);
  for (const k of keys) others.delete(k.id);
  for (const id of [...others].sort()) {
    const used = n(id);
    keys.push({ id, state: 'missing', secrets: used, canary: 'missing', retirable: used === 0, verdict: verdict('missing', used, 'missing') });
  }
  return {
    vault: keyring ? 'on' : 'off',
    active: keyring?.active.id ?? null,
    keys,
    missing: keys.filter((k) => k.state === 'missing' && k.secrets > 0).map((k) => ({ id: k.id, secrets: k.secrets })),
  };
}

function verdict(state: KeyState | 'missing', used: number, canary: CanaryStatus): string {
  const uses = `${secrets(used)} still ${used === 1 ? 'uses' : 'use'} it`;
  if (canary === 'wrong-key') {
    return `WRONG KEY: not the key that first had this id (its canary does not verify)${used > 0 ? `; ${secrets(used)} cannot be decrypted` : ''}`;
  }
  switch (state) {
    case 'active':
      return 'active: new secrets use it';
    case 'decrypt-only':
      return used > 0 ? `not yet retirable: ${uses} (\`postern secrets reencrypt\` moves them to the active key)` : 'can be retired';
    case 'retired':
      return used > 0 ? `NEEDED: retired, but ${uses}; set its state to decrypt-only` : 'retired: nothing uses it';
    case 'missing':
      return used > 0 ? `NOT CONFIGURED: ${secrets(used)} ${used === 1 ? 'needs' : 'need'} it` : 'not configured; nothing uses it (only its canary remains)';
  }
}

function secrets(n: number): string {
  return `${n} secret${n === 1 ? '' : 's'}`;
}
