/**
 * `postern secrets reencrypt`, `postern secrets reset` and `postern keys retire` through
 * commander against a real SQLite directory and test keyrings: the rotation sequence k1 → k2.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { newRecoveryCodes } from '../admin/index.js';
import { vaultStartup } from '../app/vault-check.js';
import { masterSecretBinding, reversibleSecretBinding, totpSecretBinding } from '../directory/types.js';
import { hashPassword } from '../passwords/index.js';
import type { DirectoryWithBans } from '../store/index.js';
import { tempFolder } from '../store/test-support.js';
import { decrypt, encrypt, keyIdOf, type Keyring } from '../vault/index.js';
import { keySpellings, testKeyring, type TestKeys } from '../vault/test-support.js';
import { directoryAt, runCli, type CliResult } from './test-support.js';
import { registerKeysCommands } from './keys-commands.js';
import { reencryptSecrets, registerSecretsCommands } from './secrets-commands.js';

describe('secrets reencrypt, secrets reset, keys retire', () => {
  let tmp: ReturnType<typeof tempFolder>;
  let file: string;
  let keys: TestKeys;
  let keyring: Keyring | null;
  const withDirectory = directoryAt(() => file);

  async function cli(...args: string[]): Promise<CliResult> {
    const r = await runCli((program, out) => {
      const deps = { withDirectory, out, keyring: () => keyring };
      registerKeysCommands(program, deps);
      registerSecretsCommands(program, { ...deps, progress: null });
    }, args);
    for (const k of keySpellings(keys)) assert.ok(!r.out.includes(k) && !r.err.includes(k), 'no key material is printed');
    return r;
  }
  async function ok(...args: string[]): Promise<string> {
    const r = await cli(...args);
    assert.equal(r.code, 0, `postern ${args.join(' ')} failed: ${r.err}`);
    return r.out;
  }
  async function fails(...args: string[]): Promise<{ out: string; err: string }> {
    const r = await cli(...args);
    assert.equal(r.code, 1, `postern ${args.join(' ')} should fail`);
    return r;
  }
  async function secret(dir: DirectoryWithBans, address: string, ring: Keyring, value = `pw-${address}`): Promise<void> {
    const m = (await dir.getMailbox(address)) ?? (await dir.addMailbox({ address, passwordHash: null }));
    await dir.setReversibleSecret(address, encrypt(ring, 'credentials', Buffer.from(value), reversibleSecretBinding(m.id)));
  }
  /** Every stored secret: address → [key id, plaintext or null when unreadable with `ring`]. */
  async function stored(ring: Keyring): Promise<Map<string, [string | null, string | null]>> {
    return withDirectory(async (d) => {
      const all = new Map<string, [string | null, string | null]>();
      for (const r of await d.listSecretsPage('mailbox-credential', 0, 10000)) {
        const opened = decrypt(ring, 'credentials', r.ciphertext, reversibleSecretBinding(r.id));
        all.set(r.owner, [keyIdOf(r.ciphertext), opened.ok ? opened.plaintext.toString() : null]);
      }
      return all;
    });
  }
  const ADDRESSES = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => `${x}@example.com`);
  let k1: Keyring;
  let rotated: Keyring;

  beforeEach(async () => {
    tmp = tempFolder();
    file = path.join(tmp.folder, 'directory.db');
    keys = new Map();
    k1 = testKeyring([['k1', 'active']], keys);
    rotated = testKeyring([['k2', 'active'], ['k1', 'decrypt-only']], keys);
    keyring = rotated;
    await withDirectory(async (d) => {
      await d.addDomain('example.com');
      for (const a of ADDRESSES) await secret(d, a, k1);
      await d.addMailbox({ address: 'none@example.com', passwordHash: null });
    });
  });
  afterEach(() => tmp.remove());

  it('moves every secret to the active key, keeps the plaintexts, and a rerun moves nothing', async () => {
    const before = await withDirectory(async (d) => Promise.all(ADDRESSES.map((a) => d.getMailbox(a))));
    const out = await ok('secrets', 'reencrypt', '--batch', '4');
    assert.equal(out, 'moved to key k2: 6\nalready on the active key: 0\nunreadable (left untouched): 0\nchanged concurrently (the newer value was kept): 0\n');
    const after = await stored(rotated);
    assert.deepEqual([...after.keys()], ADDRESSES);
    for (const a of ADDRESSES) assert.deepEqual(after.get(a), ['k2', `pw-${a}`]);
    // Readable with k2 alone, and when each secret last changed is kept.
    for (const [, [, pt]] of await stored(testKeyring([['k2', 'active']], keys))) assert.notEqual(pt, null);
    const now = await withDirectory(async (d) => Promise.all(ADDRESSES.map((a) => d.getMailbox(a))));
    assert.deepEqual(now.map((m) => m?.secretChangedAt), before.map((m) => m?.secretChangedAt));

    assert.match(await ok('secrets', 'reencrypt'), /^moved to key k2: 0\nalready on the active key: 6\n/);
    assert.match(await ok('keys', 'status'), /\nk1\s+decrypt-only\s+0\s+\S+\s+can be retired\n/);
  });

  it('resumes after an interruption with nothing lost', async () => {
    await assert.rejects(
      withDirectory((d) =>
        reencryptSecrets(d, rotated, {
          batch: 2,
          onRow: (n) => {
            if (n === 3) throw new Error('killed');
          },
        }),
      ),
      /killed/,
    );
    const half = await stored(rotated);
    assert.deepEqual([...half.values()].map(([id]) => id), ['k2', 'k2', 'k2', 'k1', 'k1', 'k1']);
    for (const a of ADDRESSES) assert.equal(half.get(a)?.[1], `pw-${a}`, 'old and new are both readable');
    assert.match(await ok('keys', 'status'), /\nk1\s+decrypt-only\s+3\s/);

    assert.match(await ok('secrets', 'reencrypt', '--batch', '1'), /^moved to key k2: 3\nalready on the active key: 3\n/);
    const all = await stored(rotated);
    for (const a of ADDRESSES) assert.deepEqual(all.get(a), ['k2', `pw-${a}`]);
  });

  it('keeps a secret changed while it runs', async () => {
    const newer = testKeyring([['k2', 'active']], keys);
    await withDirectory(async (d) => {
      const a = await d.getMailbox('a@example.com');
      // A `mailbox secret set` lands between re-encryption's read and its write of a@.
      const s = await reencryptSecrets(
        {
          listSecretsPage: (field, after, limit) => d.listSecretsPage(field, after, limit),
          secretsPerKeyId: () => d.secretsPerKeyId(),
          replaceSecret: async (field, id, expected, next) => {
            if (id === a?.id) await secret(d, 'a@example.com', newer, 'brand new');
            return d.replaceSecret(field, id, expected, next);
          },
        },
        rotated,
      );
      assert.deepEqual({ ...s, unreadable: s.unreadable.length }, { moved: 5, already: 0, unreadable: 0, concurrent: 1 });
    });
    const all = await stored(rotated);
    assert.deepEqual(all.get('a@example.com'), ['k2', 'brand new']);
    assert.deepEqual(all.get('b@example.com'), ['k2', 'pw-b@example.com']);
  });

  it('reports an unreadable secret with its reason and leaves it untouched', async () => {
    const k0 = testKeyring([['k0', 'active']], keys);
    await withDirectory((d) => secret(d, 'lost@example.com', k0));
    const before = await withDirectory((d) => d.getMailbox('lost@example.com'));
    const r = await fails('secrets', 'reencrypt');
    assert.match(r.out, /^moved to key k2: 6\nalready on the active key: 0\nunreadable \(left untouched\): 1\n  lost@example\.com \(reversible credential\): unreadable: key k0 is not configured \(add it as decrypt-only, or reset this secret\)\nchanged concurrently \(the newer value was kept\): 0\n$/);
    assert.match(r.err, /error: 1 secret could not be re-encrypted \(listed above\)/);
    assert.equal((await withDirectory((d) => d.getMailbox('lost@example.com')))?.reversibleSecret, before?.reversibleSecret);
    // The rest moved; a rerun still reports only the lost one.
    assert.match((await fails('secrets', 'reencrypt')).out, /^moved to key k2: 0\nalready on the active key: 6\nunreadable \(left untouched\): 1\n/);
  });

  it('refuses to re-encrypt when the vault is off, and a bad --batch', async () => {
    keyring = null;
    assert.match((await fails('secrets', 'reencrypt')).err, /error: the vault is off \(no keys in vault\.keys\)/);
    keyring = rotated;
    assert.match((await fails('secrets', 'reencrypt', '--batch', '0')).err, /--batch must be a whole number/);
  });

  it('resets only the secrets of one key, listing the mailboxes', async () => {
    await withDirectory(async (d) => {
      await secret(d, 'k2@example.com', rotated);
      for (let i = 0; i < 20; i++) await secret(d, `m${i}@example.com`, k1);
    });
    keyring = testKeyring([['k2', 'active']], keys); // k1 is lost
    const dry = await ok('secrets', 'reset', '--key', 'k1', '--dry-run');
    const lines = dry.trimEnd().split('\n');
    assert.equal(lines[0], 'dry run: 26 secrets under key "k1" would be cleared:');
    assert.deepEqual(lines.slice(1, 7), ADDRESSES.map((a) => `  ${a} (reversible credential)`));
    assert.equal(lines[21], '  and 6 more');
    assert.equal(lines.at(-1), 'nothing was changed');
    assert.equal((await withDirectory((d) => d.secretsPerKeyId())).get('k1'), 26);

    const done = await ok('secrets', 'reset', '--key', 'k1');
    assert.match(done, /^cleared 26 secrets under key "k1":\n  a@example\.com \(reversible credential\)\n/);
    assert.match(done, /postern mailbox secret set <address>\n$/);
    assert.deepEqual(await withDirectory((d) => d.secretsPerKeyId()), new Map([['k2', 1]]));
    assert.equal((await withDirectory((d) => d.getMailbox('a@example.com')))?.reversibleSecret, null);
    assert.equal(await ok('secrets', 'reset', '--key', 'k1'), 'no stored secret uses key "k1"; nothing to reset\n');
  });

  it('refuses to reset a configured key without --force', async () => {
    const r = await fails('secrets', 'reset', '--key', 'k1');
    assert.match(r.err, /key "k1" is in vault\.keys \(decrypt-only\).*secrets reencrypt.*--force/);
    assert.equal((await withDirectory((d) => d.secretsPerKeyId())).get('k1'), 6);
    assert.match(await ok('secrets', 'reset', '--key', 'k1', '--force'), /^cleared 6 secrets/);
    assert.match((await fails('secrets', 'reset', '--key', 'Bad!')).err, /not a vault key id/);
  });

  it('retires a key only when nothing uses it and it is not active', async () => {
    let r = await fails('keys', 'retire', 'k1');
    assert.match(r.err, /error: key "k1" cannot be retired: 6 stored secrets still use it; run "postern secrets reencrypt" first/);
    r = await fails('keys', 'retire', 'k2');
    assert.match(r.err, /key "k2" is the active key: rotate first: add a new active key and make this one decrypt-only/);
    assert.match((await fails('keys', 'retire', 'nope')).err, /not in vault\.keys and no stored secret uses it/);

    await ok('secrets', 'reencrypt');
    const out = await ok('keys', 'retire', 'k1');
    assert.match(out, /^no stored secret uses key "k1": it can be retired\.\n/);
    assert.match(out, /\{ id = "k1", state = "retired" \}/);
    assert.match(out, /may be deleted, and `postern keys status` shows it as retired/);

    keyring = testKeyring([['k2', 'active'], ['k1', 'retired']], keys);
    assert.match(await ok('keys', 'status'), /\nk1\s+retired\s+0\s+retired\s+retired: nothing uses it\n/);
    assert.match(await ok('keys', 'retire', 'k1'), /already retired/);
    for (const [, [id, pt]] of await stored(keyring)) assert.ok(id === 'k2' && pt !== null);
  });
  it('covers backend master passwords: status counts them, reencrypt moves them, reset lists them, retire waits for them', async () => {
    await withDirectory(async (d) => {
      await d.addBackend({ name: 'imap1', host: '10.0.0.1', ports: { imap: 143 } });
      const b = await d.addBackend({ name: 'imap2', host: '10.0.0.2', ports: { imap: 143 } });
      await d.setBackendMaster('imap2', { user: 'postern', ciphertext: encrypt(k1, 'credentials', Buffer.from('master pw'), masterSecretBinding(b.id)) });
      for (const a of ADDRESSES) await d.setReversibleSecret(a, null);
    });
    assert.match(await ok('keys', 'status'), /\nk1\s+decrypt-only\s+1\s/);
    assert.match((await fails('keys', 'retire', 'k1')).err, /1 stored secret still uses it/);
    assert.match(await ok('secrets', 'reset', '--key', 'k1', '--dry-run'), /^dry run: 1 secret under key "k1" would be cleared:\n  backend imap2 \(master password\)\nnothing was changed\n$/);

    assert.match(await ok('secrets', 'reencrypt', '--batch', '1'), /^moved to key k2: 1\n/);
    const imap2 = await withDirectory((d) => d.getBackend('imap2'));
    const opened = decrypt(testKeyring([['k2', 'active']], keys), 'credentials', imap2!.masterSecret!, masterSecretBinding(imap2!.id));
    assert.ok(opened.ok && opened.plaintext.toString() === 'master pw', 'readable with k2 alone, unchanged');
    assert.match(await ok('keys', 'status'), /\nk1\s+decrypt-only\s+0\s+\S+\s+can be retired\n/);

    keyring = testKeyring([['k3', 'active']], keys); // k2 is lost
    const reset = await ok('secrets', 'reset', '--key', 'k2');
    assert.equal(reset, 'cleared 1 secret under key "k2":\n  backend imap2 (master password)\nset each master password again: postern backend master set <backend> --user <master user>\n');
    const after = await withDirectory((d) => d.getBackend('imap2'));
    assert.deepEqual([after?.masterUser, after?.masterSecret], ['postern', null]);
  });

  it('reports an unreadable backend master password by its backend', async () => {
    await withDirectory(async (d) => {
      const b = await d.addBackend({ name: 'imap1', host: '10.0.0.1', ports: { imap: 143 } });
      // Copied from another row: the binding (AAD) does not match, so it never decrypts here.
      await d.setBackendMaster('imap1', { user: 'postern', ciphertext: encrypt(k1, 'credentials', Buffer.from('pw'), masterSecretBinding(b.id + 1)) });
    });
    const r = await fails('secrets', 'reencrypt');
    assert.match(r.out, /\n {2}backend imap1 \(master password\): unreadable: does not verify under key k1/);
  });

  it('covers admins\' TOTP secrets: counted by keys status and the start-up check, re-encrypted under their own purpose, reset by key', async () => {
    const adminId = await withDirectory(async (d) => {
      const root = await d.addAdmin('root', await hashPassword('a long password', { memoryKiB: 1024, iterations: 1, parallelism: 1 }));
      const seed = encrypt(k1, 'totp', Buffer.from('totp seed 20 bytes!!'), totpSecretBinding(root.id));
      await d.beginTotp(root.id, seed);
      await d.enableTotp(root.id, seed, 1, newRecoveryCodes().hashes, null);
      return root.id;
    });
    // 6 mailbox credentials and the TOTP secret.
    assert.match(await ok('keys', 'status'), /\nk1\s+decrypt-only\s+7\s/);
    const refused = await withDirectory((d) => vaultStartup(testKeyring([['k2', 'active']], keys), d, { degraded: false }));
    assert.equal(refused.kind, 'refused');
    assert.match((refused as { message: string }).message, /k1.*7 secrets/s, 'the start-up check counts it among what needs k1');

    assert.match(await ok('secrets', 'reencrypt'), /^moved to key k2: 7\n/);
    const moved = await withDirectory((d) => d.getTotp(adminId));
    assert.equal(keyIdOf(moved.secret as string), 'k2');
    const opened = decrypt(rotated, 'totp', moved.secret as string, totpSecretBinding(adminId));
    assert.ok(opened.ok && opened.plaintext.toString() === 'totp seed 20 bytes!!', 'the seed survives, under purpose totp');
    assert.equal(decrypt(rotated, 'credentials', moved.secret as string, totpSecretBinding(adminId)).ok, false, 'and only under purpose totp');
    assert.equal(moved.enabledAt !== null, true);

    const reset = await ok('secrets', 'reset', '--key', 'k2', '--force');
    assert.match(reset, /cleared 7 secrets under key "k2":/);
    assert.match(reset, /\n  admin root \(TOTP secret\)\n/);
    assert.match(reset, /set each TOTP secret again: postern admin 2fa reset <admin>/);
    const after = await withDirectory((d) => d.getTotp(adminId));
    assert.equal(after.secret, null);
    assert.notEqual(after.enabledAt, null, '2FA stays on (fail closed): only recovery codes pass until an operator resets it');
    assert.equal(after.recoveryCodesLeft, 10);
  });
});
