/**
 * Test support only: Dovecot's own `doveadm pw` as the reference for every scheme, so the
 * tests check Postern against real Dovecot output rather than against itself. Missing
 * doveadm is a failure, not a skip: without it nothing here proves compatibility.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const DOVEADM = process.env['POSTERN_DOVEADM'] ?? '/usr/bin/doveadm';

export function requireDoveadm(): void {
  if (!existsSync(DOVEADM)) {
    throw new Error(
      `doveadm not found at ${DOVEADM}: run scripts/install-test-deps.sh as root (it installs ` +
        "Debian's Dovecot); the password tests need Dovecot's doveadm as their reference",
    );
  }
}

/** `doveadm pw -s SCHEME -p PASSWORD [-r ROUNDS]`: a fresh hash, with its `{SCHEME}` prefix. */
export function dovePw(scheme: string, password: string, rounds?: number): string {
  requireDoveadm();
  const args = ['pw', '-s', scheme, '-p', password, ...(rounds === undefined ? [] : ['-r', String(rounds)])];
  return execFileSync(DOVEADM, args, { encoding: 'utf8' }).trim();
}

/** `doveadm pw -t HASH -p PASSWORD`: whether Dovecot itself accepts the password for the hash. */
export function doveVerifies(hash: string, password: string): boolean {
  requireDoveadm();
  const r = spawnSync(DOVEADM, ['pw', '-t', hash, '-p', password], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('(verified)');
}

/** Passwords every scheme is tried with: ASCII, nginx-awkward characters, UTF-8. */
export const PASSWORDS = ['hunter2', `a b%20"it's":x`, 'pässwörd ✓'] as const;
