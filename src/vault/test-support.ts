/**
 * Test helpers for the vault: keyrings from random keys, with the bytes kept so a test can
 * rebuild a keyring with the same key (rotation) or a different key under the same id (the
 * FreeScout replacement). Only tests import this file.
 */
import { randomBytes } from 'node:crypto';
import { createKeyring, type KeyState, type Keyring } from './keyring.js';

export type TestKeys = Map<string, Buffer>;

/** A keyring of the given ids and states; ids seen before in `keys` reuse their bytes. */
export function testKeyring(spec: ReadonlyArray<readonly [string, KeyState]>, keys: TestKeys = new Map()): Keyring {
  const entries = spec.map(([id, state]) => {
    let material = keys.get(id);
    if (!material) keys.set(id, (material = randomBytes(32)));
    return { id, state, material };
  });
  const r = createKeyring(entries);
  if (!r.ok) throw r.error;
  return r.keyring;
}

/** Every string a test can assert never appears in a message: each key as hex, base64 and base64url. */
export function keySpellings(keys: TestKeys): string[] {
  return [...keys.values()].flatMap((k) => [k.toString('hex'), k.toString('base64'), k.toString('base64url'), k.toString('base64').slice(0, 12)]);
}
