/**
 * The start-up check: Postern refuses to start while stored secrets name a key it cannot use,
 * rather than start and fail logins with blank passwords (FreeScout: APP_KEY changed, every
 * mailbox password became '', mail stopped with 535). The refusal names each key id, how many
 * secrets need it and the two ways out; degraded mode (--degraded, vault.allow_degraded) starts
 * anyway, with those secrets unreadable and said so (anchors-admin-secrets.md §4.2.4, §4.2.5).
 *
 * One exception degraded mode does not cover: an *active* key that fails its canary while
 * secrets still name its id. Starting would write new secrets under a second, different key
 * with the same id, mixing two keys under one name for good; the fix (give the new key a new id)
 * takes a minute, so we refuse.
 *
 * Pure: the caller counts secrets per key id (keyIdOf over every stored ciphertext of this
 * keyring's purposes), passes the stored canaries, and after an ok result writes
 * makeCanary(keyring, id) for each id in `canariesToWrite`. Messages hold ids, counts and
 * example paths only, never key material.
 */
import { checkCanaries, type StoredCanary } from './canary.js';
import { keyEnvName, type Keyring } from './keyring.js';

export const DEGRADED_FLAG = '--degraded';
export const DEGRADED_SETTING = 'vault.allow_degraded';
export const KEYS_SETTING = 'vault.keys';

export interface StartupCheckInput {
  keyring: Keyring;
  canaries: readonly StoredCanary[];
  /** Stored secrets per key id, as keyIdOf() reads them. */
  secretsPerKeyId: ReadonlyMap<string, number>;
  degraded: boolean;
}

export type StartupCheckResult =
  | { ok: true; warnings: string[]; canariesToWrite: string[] }
  | { ok: false; message: string };

type Blocker = { keyId: string; count: number; kind: 'missing' | 'retired' | 'wrong-key' };

export function startupCheck(input: StartupCheckInput): StartupCheckResult {
  const { keyring, secretsPerKeyId } = input;
  const reports = new Map(checkCanaries(keyring, input.canaries).map((r) => [r.keyId, r]));
  const count = (id: string): number => Math.max(0, secretsPerKeyId.get(id) ?? 0);
  const blockers: Blocker[] = [];
  const warnings: string[] = [];
  const canariesToWrite: string[] = [];

  for (const id of [...secretsPerKeyId.keys()].sort()) {
    const n = count(id);
    if (n === 0) continue;
    const kek = keyring.get(id);
    if (!kek) blockers.push({ keyId: id, count: n, kind: 'missing' });
    else if (kek.state === 'retired') blockers.push({ keyId: id, count: n, kind: 'retired' });
    else if (reports.get(id)?.status === 'wrong-key') blockers.push({ keyId: id, count: n, kind: 'wrong-key' });
  }
  for (const kek of keyring.keys) {
    const status = reports.get(kek.id)?.status;
    const n = count(kek.id);
    if (status === 'no-canary') {
      canariesToWrite.push(kek.id);
      if (n > 0) warnings.push(`key "${kek.id}" had no canary, so Postern cannot prove it is the key that wrote the ${secrets(n)} naming it; a canary is recorded now and checked from the next start`);
    } else if (status === 'wrong-key' && n === 0) {
      canariesToWrite.push(kek.id);
      warnings.push(`key "${kek.id}" is not the key that first had this id (its canary does not verify); no stored secret names it, so nothing is lost, and its canary is replaced now`);
    }
    if (kek.state === 'decrypt-only' && status !== 'wrong-key') {
      warnings.push(
        n > 0
          ? `${secrets(n)} still ${n === 1 ? 'uses' : 'use'} decrypt-only key "${kek.id}": run \`postern secrets reencrypt\` to move them to the active key "${keyring.active.id}"`
          : `decrypt-only key "${kek.id}" is no longer used by any stored secret: it can be retired (\`postern keys retire ${kek.id}\`)`,
      );
    }
  }

  if (blockers.length === 0) return { ok: true, warnings, canariesToWrite };
  const impostor = blockers.find((b) => b.kind === 'wrong-key' && b.keyId === keyring.active.id);
  if (input.degraded && !impostor) {
    const total = blockers.reduce((s, b) => s + b.count, 0);
    return {
      ok: true,
      canariesToWrite,
      warnings: [
        `DEGRADED MODE: ${secrets(total)} cannot be decrypted; they are shown as unreadable and the logins that need them get a temporary failure`,
        ...blockers.map((b) => `DEGRADED MODE: ${describe(b)}`),
        `to recover, add each key above as decrypt-only (or restore the original), or reset those secrets with \`postern secrets reset --key <id>\``,
        ...warnings,
      ],
    };
  }
  return { ok: false, message: refusal(blockers, keyring, impostor) };
}

function refusal(blockers: Blocker[], keyring: Keyring, impostor: Blocker | undefined): string {
  const total = blockers.reduce((s, b) => s + b.count, 0);
  const lines = [
    `Postern will not start: ${secrets(total)} in the database are encrypted with vault keys it cannot use.`,
    ...blockers.map((b) => `  - ${describe(b)}`),
    'Starting anyway would make the logins that need these secrets fail (this check exists so that passwords never silently turn blank).',
    '',
    'Way out 1: add the key as decrypt-only.',
    ...blockers.map((b) => `  - ${fix(b, keyring)}`),
    `  Then start Postern again and run \`postern secrets reencrypt\` to move these secrets to the active key "${keyring.active.id}".`,
    '',
    'Way out 2: reset those secrets (their values are lost; enter them again afterwards; no other secret is touched):',
    ...blockers.map((b) => `  - postern secrets reset --key ${b.keyId}    (${secrets(b.count)})`),
    '',
  ];
  if (impostor) {
    lines.push(
      `Degraded mode cannot help here: the active key "${impostor.keyId}" is a different key from the one that wrote the ${secrets(impostor.count)} naming it, ` +
        `and new secrets would be written under a second key with the same id. If the new key is meant to be used, give it a new id and make it active; ` +
        `put the original "${impostor.keyId}" back as decrypt-only.`,
    );
  } else {
    lines.push(
      `To start anyway, with these secrets shown as unreadable and the logins that need them answered with a temporary failure, ` +
        `run \`postern serve ${DEGRADED_FLAG}\` or set ${DEGRADED_SETTING} = true.`,
    );
  }
  return lines.join('\n');
}

function describe(b: Blocker): string {
  switch (b.kind) {
    case 'missing':
      return `key "${b.keyId}" is not configured; ${secrets(b.count)} ${b.count === 1 ? 'needs' : 'need'} it`;
    case 'retired':
      return `key "${b.keyId}" is retired, but ${secrets(b.count)} still ${b.count === 1 ? 'needs' : 'need'} it`;
    case 'wrong-key':
      return `key "${b.keyId}" is configured, but it is not the key that wrote the ${secrets(b.count)} naming it (its canary does not verify: was the key file or ${keyEnvName(b.keyId)} replaced?)`;
  }
}

function fix(b: Blocker, keyring: Keyring): string {
  switch (b.kind) {
    case 'missing':
      return `${b.keyId}: put the original key in a file and add { id = "${b.keyId}", state = "decrypt-only", file = "/etc/postern/keys/${b.keyId}.key" } to ${KEYS_SETTING} (or set ${keyEnvName(b.keyId)})`;
    case 'retired':
      return `${b.keyId}: it is listed as retired in ${KEYS_SETTING}; change its state to "decrypt-only" (its key file or ${keyEnvName(b.keyId)} must be present)`;
    case 'wrong-key':
      return `${b.keyId}: put the original key back under this id${b.keyId === keyring.active.id ? '' : ' (decrypt-only)'}; if the key now configured as ${b.keyId} is meant to be used, give it a new id`;
  }
}

function secrets(n: number): string {
  return `${n} secret${n === 1 ? '' : 's'}`;
}
