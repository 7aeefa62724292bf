/**
 * `postern keys status`: the vault's keys against the database: per key id its state, how many
 * stored secrets use it, what its canary says, and whether it can be retired; then the key ids
 * stored secrets use that the configuration lacks. Prints ids and counts only, never key
 * material. Errors are reported like the other commands' (`error: <message>`, exit code 1).
 */
import type { Command } from 'commander';
import { keysStatus, type KeysStatusReport } from '../app/vault-check.js';
import type { Keyring } from '../vault/index.js';
import { KEYS_SETTING, keyEnvName } from '../vault/index.js';
import { actionRunner } from './action.js';
import { formatTable, type WithDirectory } from './directory-commands.js';

export interface KeysCommandDeps {
  withDirectory: WithDirectory;
  out: (line: string) => void;
  /** The configured keyring, or null when the vault is off (loads the configuration). */
  keyring: () => Keyring | null;
}

const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ postern ${l}`).join('\n')}\n`;

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

export function registerKeysCommands(program: Command, deps: KeysCommandDeps): void {
  const { withDirectory, out } = deps;
  const run = actionRunner('postern.keys');
  const keys = program.command('keys').description('Inspect the vault keys that encrypt stored secrets (APOP/CRAM-MD5 credentials)');

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
