/**
 * Reading a new secret: typed twice on the terminal, or one line on standard input (passwords
 * too). For a vault secret, first that the vault is on, and the secret checked so that nginx can
 * send it as Auth-Pass; the caller encrypts it and zeroes the buffer afterwards.
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

/**
 * A new secret as text: one line on standard input (`flag` names the option in the error), or
 * typed twice on the terminal, the same both times. `label` names it in the prompts ("Password",
 * "Master password") and `plural` in the mismatch ("the passwords do not match").
 */
export async function readTypedTwice(io: SecretSource, opts: { stdin: boolean; flag: string; label: string; plural: string }): Promise<string> {
  if (opts.stdin) {
    const text = (await io.readStdin()).replace(/\r?\n$/, '');
    if (/[\r\n]/.test(text)) throw new UsageError(`${opts.flag} expects the ${opts.label.toLowerCase()} on a single line`);
    return text;
  }
  const text = await io.readPassword(`${opts.label}: `);
  if (text !== (await io.readPassword(`Repeat ${opts.label.toLowerCase()}: `))) throw new UsageError(`${opts.plural} do not match; nothing was changed`);
  return text;
}

/** A vault secret, checked so that nginx can send it as Auth-Pass. `label` names it in the prompt ("Master password"), `what` in errors ("the master password"). */
export async function readNewSecret(io: SecretSource, opts: { stdin: boolean; label: string; what: string }): Promise<Buffer> {
  const text = await readTypedTwice(io, { stdin: opts.stdin, flag: '--stdin', label: opts.label, plural: 'the two entries' });
  const value = Buffer.from(text, 'utf8');
  const problem = reversibleSecretProblem(value);
  if (problem) {
    value.fill(0);
    throw new UsageError(`${opts.what} cannot be used: ${problem}; nothing was changed`);
  }
  return value;
}
