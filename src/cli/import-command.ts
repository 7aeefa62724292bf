/**
 * `postern import passwd-file`: loads a Dovecot passwd-file into the directory, in batches with
 * a progress bar, and ends with a summary of what was added, what already existed and what was
 * skipped and why. Existing mailboxes are never overwritten.
 */
import { readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { NewMailbox } from '../directory/types.js';
import { parsePasswdFile } from '../passwords/index.js';
import type { WithDirectory } from './directory-commands.js';

const BATCH = 1000;

export function registerImport(program: Command, deps: { withDirectory: WithDirectory; out: (s: string) => void }): void {
  const imp = program.command('import').description('load mailboxes from other systems');
  imp
    .command('passwd-file')
    .description('import users and password hashes from a Dovecot passwd-file (user:{SCHEME}hash:uid:gid:...)')
    .argument('<file>', 'the passwd-file to read')
    .option('--default-domain <domain>', 'domain for users listed without one')
    .option('--create-domains', 'add missing domains instead of skipping their users')
    .option('--dry-run', 'parse and report, change nothing')
    .addHelpText('after', '\nUsers with "nologin" or "noauthenticate" in their extra fields are imported disabled.\nExample:\n  postern import passwd-file /etc/dovecot/users --default-domain example.com')
    .action(async (file: string, opts: { defaultDomain?: string; createDomains?: boolean; dryRun?: boolean }) => {
      const { out } = deps;
      const text = readFileSync(file, 'utf8');
      const { entries, skipped } = parsePasswdFile(text, opts.defaultDomain ? { defaultDomain: opts.defaultDomain } : {});
      const reasons: Array<{ line: number; user?: string; reason: string }> = [...skipped];
      await deps.withDirectory(async (dir) => {
        const known = new Set((await dir.listDomains()).flatMap((d) => [d.name, ...d.aliases]));
        const rows: NewMailbox[] = [];
        for (const e of entries) {
          const domain = e.user.slice(e.user.lastIndexOf('@') + 1);
          if (!known.has(domain)) {
            if (!opts.createDomains) {
              reasons.push({ line: e.line, user: e.user, reason: `unknown-domain: ${domain} is not in the directory (add it, or use --create-domains)` });
              continue;
            }
            if (!opts.dryRun) await dir.addDomain(domain);
            known.add(domain);
          }
          const disabled = 'nologin' in e.extra || 'noauthenticate' in e.extra;
          rows.push({ address: e.user, passwordHash: e.passwordHash, enabled: !disabled });
        }
        let added = 0;
        const existing: string[] = [];
        if (!opts.dryRun && rows.length > 0) {
          const bar = new cliProgress.SingleBar(
            // Off a terminal (a pipe, a log) the bar is printed as plain lines every few seconds.
            { format: 'importing [{bar}] {percentage}% | {value}/{total} users', stream: process.stderr, hideCursor: true, noTTYOutput: true, notTTYSchedule: 2000 },
            cliProgress.Presets.shades_classic,
          );
          bar.start(rows.length, 0);
          for (let i = 0; i < rows.length; i += BATCH) {
            const r = await dir.importMailboxes(rows.slice(i, i + BATCH));
            added += r.added;
            existing.push(...r.existing);
            bar.update(Math.min(i + BATCH, rows.length));
          }
          bar.stop();
        }
        out(opts.dryRun ? `dry run: ${rows.length} users would be imported` : `imported ${added} users`);
        if (existing.length) out(`${existing.length} already existed and were left unchanged: ${preview(existing)}`);
        if (reasons.length) {
          out(`${reasons.length} skipped:`);
          for (const s of reasons.sort((a, b) => a.line - b.line)) out(`  line ${s.line}${s.user ? ` (${s.user})` : ''}: ${s.reason}`);
        }
      });
    });
}

function preview(list: string[]): string {
  return list.length <= 10 ? list.join(', ') : `${list.slice(0, 10).join(', ')} and ${list.length - 10} more`;
}
