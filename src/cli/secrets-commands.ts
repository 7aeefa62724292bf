/**
 * `postern secrets reencrypt` and `postern secrets reset`: moving stored secrets to the active
 * vault key after a rotation, and giving up the secrets of a lost key. Both cover every secret
 * field of the registry (src/directory/secret-fields.ts): mailboxes' reversible credentials and
 * backends' master passwords.
 *
 * Re-encryption walks each field's secrets in keyset-paginated pages and writes each one on its
 * own with a compare-and-set (src/store/vault.ts), so a kill at any moment leaves every secret
 * either on its old key or on the new one, both readable, and a rerun simply continues; a
 * concurrent `mailbox secret set` or `backend master set` always wins. Nothing here prints a
 * secret or key material.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { SECRET_FIELDS, describeSecretOwner, secretBinding, type DirectoryAdmin, type SecretField, type StoredSecret } from '../directory/types.js';
import { KEYS_SETTING, KEY_ID_PATTERN, describeUndecryptable, keyIdOf, needsReencrypt, reencrypt, type Keyring } from '../vault/index.js';
import { UsageError, actionRunner, examples } from './action.js';
import type { WithDirectory } from './directory-commands.js';

export const REENCRYPT_BATCH = 500;
const LIST_LIMIT = 20;
const FIELDS = Object.keys(SECRET_FIELDS) as SecretField[];

export interface SecretsCommandDeps {
  withDirectory: WithDirectory;
  out: (line: string) => void;
  /** The configured keyring, or null when the vault is off (loads the configuration). */
  keyring: () => Keyring | null;
  /** Where the progress bar goes (default stderr); null for none. */
  progress?: NodeJS.WritableStream | null;
}

export type SecretsStore = Pick<DirectoryAdmin, 'listSecretsPage' | 'replaceSecret' | 'secretsPerKeyId'>;

export interface ReencryptSummary {
  /** Written again under the active key. */
  moved: number;
  /** Already under the active key (left as they are). */
  already: number;
  /** Could not be decrypted; left untouched. `owner` says whose, e.g. `backend imap1 (master password)`. */
  unreadable: Array<{ owner: string; keyId: string | null; problem: string }>;
  /** Changed or cleared by someone else between reading and writing; their change was kept. */
  concurrent: number;
}

/** Every stored secret of every field, a page at a time (keyset pagination per field). */
export async function* eachSecret(store: Pick<DirectoryAdmin, 'listSecretsPage'>, batch: number): AsyncGenerator<StoredSecret[]> {
  for (const field of FIELDS) {
    for (let after = 0; ; ) {
      const page = await store.listSecretsPage(field, after, batch);
      if (page.length > 0) yield page;
      const last = page[page.length - 1];
      if (!last || page.length < batch) break;
      after = last.id;
    }
  }
}

/**
 * The re-encryption loop. `onRow` (tests) runs after each secret is handled and may throw to
 * simulate a kill; `onProgress` gets the number of secrets looked at so far.
 */
export async function reencryptSecrets(
  store: SecretsStore,
  keyring: Keyring,
  opts: { batch?: number; onRow?: (done: number) => void; onProgress?: (done: number) => void } = {},
): Promise<ReencryptSummary> {
  const summary: ReencryptSummary = { moved: 0, already: 0, unreadable: [], concurrent: 0 };
  let done = 0;
  for await (const page of eachSecret(store, opts.batch ?? REENCRYPT_BATCH)) {
    for (const row of page) {
      if (!needsReencrypt(keyring, row.ciphertext)) {
        summary.already++;
      } else {
        const r = reencrypt(keyring, SECRET_FIELDS[row.field].purpose, row.ciphertext, secretBinding(row.field, row.id));
        if (!r.ok) {
          summary.unreadable.push({ owner: describeSecretOwner(row.field, row.owner), keyId: r.keyId, problem: describeUndecryptable(r) });
        } else if (!r.changed) {
          summary.already++;
        } else if (await store.replaceSecret(row.field, row.id, row.ciphertext, r.ciphertext)) {
          summary.moved++;
        } else {
          summary.concurrent++;
        }
      }
      done++;
      opts.onRow?.(done);
    }
    opts.onProgress?.(done);
  }
  return summary;
}

const REENCRYPT_HELP = `
After a rotation (a new active key, the old one decrypt-only), this moves every stored secret
(mailboxes' reversible credentials, backends' master passwords, admins' TOTP secrets) to the active key, so the old key
can be retired. Each secret is written on its own: interrupting it (Ctrl-C, a kill, a crash)
leaves every secret readable, and running it again continues where it stopped. A secret changed
meanwhile with "postern mailbox secret set" or "postern backend master set" keeps that change.
Secrets that cannot be decrypted are listed and left untouched (exit code 1).
${examples('secrets reencrypt', 'secrets reencrypt --batch 100', 'keys status        # then: 0 secrets on the old key, "can be retired"')}`;

const RESET_HELP = `
For a lost key: clears every stored secret encrypted with that key id (their values cannot be
recovered), so Postern starts without it. Mailboxes need a new credential ("postern mailbox
secret set <address>"; until then APOP/CRAM-MD5 are refused for them); a backend keeps its
master user name but needs its password again ("postern backend master set <backend> --user
<name>"; until then its IMAP/POP3 logins get a temporary failure); an admin with 2FA keeps it
on, so only a recovery code passes the second step until "postern admin 2fa reset <admin>" and a
new enrolment. No other secret is touched.
A key still in ${KEYS_SETTING} is refused unless --force is given (if the key is only missing its
old key file, put the file back instead; if it can decrypt, re-encrypt).
${examples('secrets reset --key k1 --dry-run', 'secrets reset --key k1')}`;

export function registerSecretsCommands(program: Command, deps: SecretsCommandDeps): void {
  const { withDirectory, out } = deps;
  const run = actionRunner('postern.secrets');
  const secrets = program
    .command('secrets')
    .description('Maintain the stored secrets (APOP/CRAM-MD5 credentials, backend master passwords, admin TOTP secrets) as a whole: re-encrypt, reset a lost key');

  secrets
    .command('reencrypt')
    .description('Move every stored secret to the active vault key (resumable; safe to interrupt)')
    .option('--batch <n>', `secrets read per query (default ${REENCRYPT_BATCH})`)
    .addHelpText('after', REENCRYPT_HELP)
    .action(
      run(async (c) => {
        const o = c.opts<{ batch?: string }>();
        const batch = o.batch === undefined ? REENCRYPT_BATCH : Number(o.batch);
        if (!Number.isSafeInteger(batch) || batch < 1 || batch > 100000) throw new UsageError('--batch must be a whole number from 1 to 100000');
        const keyring = deps.keyring();
        if (!keyring) throw new UsageError(`the vault is off (no keys in ${KEYS_SETTING}): there is no active key to re-encrypt to`);
        const summary = await withDirectory(async (d) => {
          const total = [...(await d.secretsPerKeyId()).values()].reduce((a, b) => a + b, 0);
          const stream = deps.progress === undefined ? process.stderr : deps.progress;
          const bar = stream
            ? new cliProgress.SingleBar(
                // Off a terminal (a pipe, a log) the bar is printed as plain lines every few seconds.
                { format: 're-encrypting [{bar}] {percentage}% | {value}/{total} secrets', stream, hideCursor: true, noTTYOutput: true, notTTYSchedule: 2000 },
                cliProgress.Presets.shades_classic,
              )
            : null;
          bar?.start(total, 0);
          try {
            return await reencryptSecrets(d, keyring, { batch, onProgress: (n) => {
                if (!bar) return;
                if (n > bar.getTotal()) bar.setTotal(n); // secrets added meanwhile
                bar.update(n);
              } });
          } finally {
            bar?.stop();
          }
        });
        const n = summary.unreadable.length;
        out(`moved to key ${keyring.active.id}: ${summary.moved}`);
        out(`already on the active key: ${summary.already}`);
        out(`unreadable (left untouched): ${n}`);
        for (const u of summary.unreadable) out(`  ${u.owner}: ${u.problem}`);
        out(`changed concurrently (the newer value was kept): ${summary.concurrent}`);
        if (n > 0) {
          throw new UsageError(
            `${count(n)} could not be re-encrypted (listed above): configure their key as decrypt-only and run this again, ` +
              `or set them anew with "postern mailbox secret set" / "postern backend master set" (or all of one key with "postern secrets reset --key <id>")`,
          );
        }
      }),
    );

  secrets
    .command('reset')
    .description('Clear every stored secret encrypted with a given (lost) key id')
    .requiredOption('--key <id>', 'the key id whose secrets are cleared')
    .option('--dry-run', 'list whose secrets would be cleared, change nothing')
    .option('--force', `reset even though the key is in ${KEYS_SETTING}`)
    .addHelpText('after', RESET_HELP)
    .action(
      run(async (c) => {
        const o = c.opts<{ key: string; dryRun?: boolean; force?: boolean }>();
        if (!KEY_ID_PATTERN.test(o.key)) throw new UsageError(`"${o.key}" is not a vault key id (lowercase letters, digits and "-", up to 32)`);
        const configured = deps.keyring()?.keys.find((k) => k.id === o.key);
        if (configured && !o.force && !o.dryRun) {
          throw new UsageError(
            `key "${o.key}" is in ${KEYS_SETTING} (${configured.state}): if it can decrypt, run "postern secrets reencrypt" instead and nothing is lost; ` +
              `to clear its secrets anyway, pass --force`,
          );
        }
        await withDirectory(async (d) => {
          const affected: StoredSecret[] = [];
          for await (const page of eachSecret(d, REENCRYPT_BATCH)) affected.push(...page.filter((r) => keyIdOf(r.ciphertext) === o.key));
          const cleared = o.dryRun ? affected.length : Object.values(await d.clearSecretsOfKey(o.key)).reduce((a, b) => a + b, 0);
          if (cleared === 0) {
            out(`no stored secret uses key "${o.key}"; nothing to reset`);
            return;
          }
          out(o.dryRun ? `dry run: ${count(cleared)} under key "${o.key}" would be cleared:` : `cleared ${count(cleared)} under key "${o.key}":`);
          for (const r of affected.slice(0, LIST_LIMIT)) out(`  ${describeSecretOwner(r.field, r.owner)}`);
          if (affected.length > LIST_LIMIT) out(`  and ${affected.length - LIST_LIMIT} more`);
          if (o.dryRun) {
            out('nothing was changed');
            return;
          }
          for (const field of FIELDS) {
            if (affected.some((r) => r.field === field)) out(`set each ${SECRET_FIELDS[field].what} again: ${SECRET_FIELDS[field].setAgain}`);
          }
        });
      }),
    );
}

function count(n: number): string {
  return `${n} secret${n === 1 ? '' : 's'}`;
}
