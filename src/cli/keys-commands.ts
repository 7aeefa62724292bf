/**
 * `postern keys status`: the vault's keys against the database: per key id its state, how many
 * stored secrets use it, what its canary says, and whether it can be retired; then the key ids
 * stored secrets use that the configuration lacks. Prints ids and counts only, never key
 * material. Errors are reported like the other commands' (`error: <message>`, exit code 1).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Command } from 'commander';
import { keysStatus, type KeysStatusReport } from '../app/vault-check.js';
import type { Keyring } from '../vault/index.js';
import { KEYS_SETTING, KEY_ID_PATTERN, generateKey, keyEnvName } from '../vault/index.js';
import { UsageError, actionRunner, examples } from './action.js';
import { formatTable, type WithDirectory } from './directory-commands.js';

export interface KeysCommandDeps {
  withDirectory: WithDirectory;
  out: (line: string) => void;
  /** The configured keyring, or null when the vault is off (loads the configuration). */
  keyring: () => Keyring | null;
  /** The configuration file and its `vault.keys` (files resolved), for `keys rotate`. */
  vaultKeys?: () => { configFile: string; keys: ReadonlyArray<{ id: string; state: string; file?: string | undefined }> };
}


const STATUS_HELP = `
Columns:
  STATE    active (new secrets use it), decrypt-only, retired, or missing (stored data names
           the key id but ${KEYS_SETTING} lacks it)
  SECRETS  stored secrets encrypted with this key
  CANARY   proven (this is the key that wrote the data), no-canary (not proven yet: recorded at
           the next "postern serve"), wrong-key (a different key under this id), missing (the
           key is not configured), retired (not checked)
  VERDICT  "can be retired" when the key is not active and no secret uses it
${examples('keys status', 'keys status --json')}`;

const RETIRE_HELP = `
Postern never edits the configuration file: this command checks that nothing needs the key any
more and prints the change to make in ${KEYS_SETTING}. It refuses while any stored secret is
encrypted with the key (run "postern secrets reencrypt" first) and for the active key (rotate
first: add a new active key and make this one decrypt-only).
${examples('secrets reencrypt', 'keys retire k1', 'keys status')}`;

export function registerKeysCommands(program: Command, deps: KeysCommandDeps): void {
  const { withDirectory, out } = deps;
  const run = actionRunner('postern.keys');
  const keys = program.command('keys').description('Inspect the vault keys that encrypt stored secrets (APOP/CRAM-MD5 credentials, backend master passwords)');

  keys
    .command('status')
    .description('Show each vault key: its state, how many stored secrets use it, its canary, and whether it can be retired')
    .option('--json', 'print JSON')
    .addHelpText('after', STATUS_HELP)
    .action(
      run(async (c) => {
        const o = c.opts<{ json?: boolean }>();
        const keyring = deps.keyring();
        const report = await withDirectory((d) => keysStatus(keyring, d));
        if (o.json) {
          out(JSON.stringify(report, null, 2));
          return;
        }
        for (const line of formatStatus(report)) out(line);
      }),
    );

  keys
    .command('rotate')
    .description('Make a new vault key file and print the vault.keys change that makes it the active key')
    .addHelpText(
      'after',
      `
Postern never edits the configuration file: this writes the new key (mode 0600, next to the
active key's file) and prints ${KEYS_SETTING} with the new key active and the current active key
demoted to decrypt-only. After the change: restart Postern (new secrets use the new key), run
"postern secrets reencrypt", then "postern keys retire <old id>".
${examples('keys rotate', 'secrets reencrypt', 'keys retire k1')}`,
    )
    .action(
      run(async () => {
        const vault = deps.vaultKeys?.();
        if (!vault || vault.keys.length === 0) throw new UsageError(`the vault is off (${KEYS_SETTING} is empty): "postern init" sets up a first key`);
        const active = vault.keys.find((k) => k.state === 'active');
        const base = dirname(vault.configFile);
        const folder = active?.file ? dirname(active.file) : join(base, 'postern-data', 'keys');
        const key = generateKey({ existingIds: vault.keys.map((k) => k.id) });
        const file = join(folder, `${key.id}.key`);
        mkdirSync(folder, { recursive: true, mode: 0o700 });
        writeFileSync(file, `${key.text}\n`, { mode: 0o600, flag: 'wx' });
        const entry = (id: string, state: string, f?: string) => `  { id = "${id}", state = "${state}"${f ? `, file = "${relative(base, f)}"` : ''} },`;
        out(`created vault key "${key.id}" in ${file} (mode 0600; back it up apart from the database)`);
        out('');
        out(`Make it the active key in ${vault.configFile}:`);
        out('');
        out('[vault]');
        out('keys = [');
        out(entry(key.id, 'active', file));
        for (const k of vault.keys) out(entry(k.id, k.state === 'active' ? 'decrypt-only' : k.state, k.file));
        out(']');
        out('');
        out(`Then restart Postern, run "postern secrets reencrypt"${active ? `, and "postern keys retire ${active.id}"` : ''}.`);
      }),
    );

  keys
    .command('retire')
    .description('Check that nothing needs a vault key any more and print how to retire it in the configuration')
    .argument('<id>', 'the key id')
    .addHelpText('after', RETIRE_HELP)
    .action(
      run(async (_c, [id]) => {
        if (id === undefined || !KEY_ID_PATTERN.test(id)) throw new UsageError(`"${id ?? ''}" is not a vault key id (lowercase letters, digits and "-", up to 32)`);
        const keyring = deps.keyring();
        const used = (await withDirectory((d) => d.secretsPerKeyId())).get(id) ?? 0;
        const uses = `${used} stored secret${used === 1 ? '' : 's'} still ${used === 1 ? 'uses' : 'use'} it`;
        const kek = keyring?.keys.find((k) => k.id === id);
        if (!kek) {
          if (used > 0) {
            throw new UsageError(
              `key "${id}" is not in ${KEYS_SETTING}, and ${uses}: add it back as decrypt-only and run "postern secrets reencrypt", ` +
                `or, if it is lost, clear those secrets with "postern secrets reset --key ${id}"`,
            );
          }
          throw new UsageError(`key "${id}" is not in ${KEYS_SETTING} and no stored secret uses it: there is nothing to retire`);
        }
        if (kek.state === 'active') {
          throw new UsageError(`key "${id}" is the active key: rotate first: add a new active key and make this one decrypt-only, run "postern secrets reencrypt", then retire it`);
        }
        if (used > 0) throw new UsageError(`key "${id}" cannot be retired: ${uses}; run "postern secrets reencrypt" first`);
        if (kek.state === 'retired') {
          out(`key "${id}" is already retired and no stored secret uses it; its key file (or ${keyEnvName(id)}) may be deleted`);
          return;
        }
        out(`no stored secret uses key "${id}": it can be retired.`);
        out(`Postern does not edit the configuration; change its entry in ${KEYS_SETTING} to:`);
        out(`  { id = "${id}", state = "retired" }    (a retired key's file is never read; the file = ... part may stay or go)`);
        out(`After that its key file (or ${keyEnvName(id)}) may be deleted, and \`postern keys status\` shows it as retired.`);
      }),
    );
}

export function formatStatus(report: KeysStatusReport): string[] {
  const lines: string[] = [];
  if (report.vault === 'off') lines.push(`the vault is off: no keys in ${KEYS_SETTING}`);
  if (report.keys.length > 0) {
    lines.push(...formatTable(['KEY', 'STATE', 'SECRETS', 'CANARY', 'VERDICT'], report.keys.map((k) => [k.id, k.state, String(k.secrets), k.canary, k.verdict])));
  } else if (report.vault === 'off') {
    lines.push('no stored secret needs a key');
  }
  if (report.missing.length > 0) {
    lines.push('');
    for (const m of report.missing) {
      const n = `${m.secrets} secret${m.secrets === 1 ? '' : 's'}`;
      lines.push(
        `key "${m.id}" is not configured, but ${n} ${m.secrets === 1 ? 'needs' : 'need'} it: add it to ${KEYS_SETTING} as ` +
          `{ id = "${m.id}", state = "${report.vault === 'on' ? 'decrypt-only' : 'active'}", file = "/etc/postern/keys/${m.id}.key" } (or set ${keyEnvName(m.id)}), ` +
          `or reset those secrets with \`postern secrets reset --key ${m.id}\``,
      );
    }
  }
  return lines;
}
