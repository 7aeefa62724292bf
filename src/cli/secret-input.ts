/**
 * What every command that stores a vault secret asks first: that the vault is on, and the
 * secret itself (twice on the terminal, or one line on standard input), checked so that nginx
 * can send it as Auth-Pass. The caller encrypts it and zeroes the buffer afterwards.
 */
import { reversibleSecretProblem } from '../decision/challenge.js';
import { vaultOffMessage } from '../directory/master-login.js';
import type { Keyring } from '../vault/index.js';
import { UsageError } from './action.js';

export function requireKeyring(ring: Keyring | null, what: string): Keyring {
  if (ring) return ring;
  throw new UsageError(vaultOffMessage(what));
}

export interface SecretSource {
  readPassword: (prompt: string) => Promise<string>;
  readStdin: () => Promise<string>;
}

/** `label` names the secret in the prompt ("Master password"), `what` in errors ("the master password"). */
export async function readNewSecret(io: SecretSource, opts: { stdin: boolean; label: string; what: string }): Promise<Buffer> {
  let text: string;
  if (opts.stdin) {
    text = (await io.readStdin()).replace(/\r?\n$/, '');
  } else {
    text = await io.readPassword(`${opts.label}: `);
    if (text !== (await io.readPassword('Repeat it: '))) throw new UsageError('the two entries do not match; nothing was changed');
  }
  const value = Buffer.from(text, 'utf8');
  const problem = reversibleSecretProblem(value);
  if (problem) {
    value.fill(0);
    throw new UsageError(`${opts.what} cannot be used: ${problem}; nothing was changed`);
  }
  return value;
}
