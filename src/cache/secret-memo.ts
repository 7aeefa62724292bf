/**
 * Vault secrets already decrypted, for the ones every login needs (a backend's master password):
 * opening the envelope on each login cost an eighth of a cached login's time. One entry per
 * keyring and record, holding the ciphertext it was opened from: a changed secret (a new
 * ciphertext) or another keyring never meets an old plaintext, and storing the new one drops
 * the old one from memory. Past `maxEntries` records, the oldest entry goes.
 */
export interface SecretMemo {
  /** The plaintext of `ciphertext`, if it is the one last opened for `record`. */
  get(keyring: object, record: string, ciphertext: string): string | undefined;
  set(keyring: object, record: string, ciphertext: string, plaintext: string): void;
}

export function createSecretMemo(maxEntries = 1000): SecretMemo {
  const byKeyring = new WeakMap<object, Map<string, { ciphertext: string; plaintext: string }>>();
  return {
    get(keyring, record, ciphertext) {
      const e = byKeyring.get(keyring)?.get(record);
      return e && e.ciphertext === ciphertext ? e.plaintext : undefined;
    },
    set(keyring, record, ciphertext, plaintext) {
      let entries = byKeyring.get(keyring);
      if (!entries) byKeyring.set(keyring, (entries = new Map()));
      entries.delete(record);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      entries.set(record, { ciphertext, plaintext });
    },
  };
}
