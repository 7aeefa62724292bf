/** Opening the database: file creation, pragmas, migrations, and refusing a newer schema. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Kysely } from 'kysely';
import { openDirectory, SchemaVersionError } from './index.js';
import { MIGRATION_TABLE, migrateTo } from './migrate.js';
import { openSqliteEngine } from './sqlite.js';
import { openSqlite, sqliteErrorCode } from './sqlite-binding.js';
import { tempFolder } from './test-support.js';

describe('openDirectory (sqlite)', () => {
  let tmp: ReturnType<typeof tempFolder>;
  let file: string;
  beforeEach(() => {
    tmp = tempFolder();
    file = path.join(tmp.folder, 'nested', 'deeper', 'directory.db');
  });
  afterEach(() => tmp.remove());

  it('creates the parent folder and a private WAL database with foreign keys', async () => {
    const dir = await openDirectory({ kind: 'sqlite', path: file });
    await dir.ping();
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    await dir.close();
    const raw = openSqlite(file);
    try {
      assert.deepEqual(raw.prepare('PRAGMA journal_mode').all([]).map((r) => ({ ...(r as object) })), [{ journal_mode: 'wal' }]);
      const [fks] = raw.prepare(`select count(*) as n from pragma_foreign_key_list('mailboxes')`).all([]) as Array<{ n: number }>;
      assert.equal(fks?.n, 1);
    } finally {
      raw.close();
    }
  });

  it('keeps data across close and reopen without re-running migrations', async () => {
    const first = await openDirectory({ kind: 'sqlite', path: file });
    await first.addDomain('example.com');
    await first.addMailbox({ address: 'a@example.com', passwordHash: '{PLAIN}x' });
    await first.close();
    const second = await openDirectory({ kind: 'sqlite', path: file });
    assert.equal((await second.findLogin('a@example.com'))?.mailbox.passwordHash, '{PLAIN}x');
    await second.close();
    const raw = openSqlite(file);
    try {
      const rows = raw.prepare(`select name from ${MIGRATION_TABLE} order by name`).all([]) as Array<{ name: string }>;
      assert.deepEqual(rows.map((r) => r.name), ['0001-initial', '0002-bans', '0003-secrets', '0004-vault-canaries', '0005-backend-credentials', '0006-admins', '0007-admin-totp', '0008-login-history', '0009-app-passwords']);
    } finally {
      raw.close();
    }
  });

  it('enforces foreign keys at the database level', async () => {
    const dir = await openDirectory({ kind: 'sqlite', path: file });
    await dir.close();
    const raw = openSqlite(file);
    raw.exec('PRAGMA foreign_keys = ON');
    try {
      assert.throws(
        () => raw.prepare(`insert into mailboxes (address, domain_id, protocols, created_at, updated_at) values ('x@y', 42, 'imap', '', '')`).run([]),
        // The code sqlite.ts maps to DirectoryError('in-use') when a concurrent writer races a delete.
        (err: unknown) => sqliteErrorCode(err) === 'SQLITE_CONSTRAINT_FOREIGNKEY',
      );
    } finally {
      raw.close();
    }
  });

  it('refuses a database written by a newer Postern, naming both versions', async () => {
    const dir = await openDirectory({ kind: 'sqlite', path: file });
    await dir.close();
    const raw = openSqlite(file);
    raw.prepare(`insert into ${MIGRATION_TABLE} (name, timestamp) values ('0099-future-thing', '2030-01-01T00:00:00.000Z')`).run([]);
    raw.close();
    await assert.rejects(openDirectory({ kind: 'sqlite', path: file }), (err: unknown) => {
      assert.ok(err instanceof SchemaVersionError);
      assert.match(err.message, /schema version 99 \(0099-future-thing\)/);
      assert.match(err.message, /only knows schema version 9 \(0009-app-passwords\)/);
      assert.match(err.message, /Upgrade Postern/);
      return true;
    });
  });

  it('upgrades a schema-1 database to schema 2 (bans), keeping its data', async () => {
    const engine = openSqliteEngine(file);
    const old = new Kysely<any>({ dialect: engine.dialect }); // eslint-disable-line @typescript-eslint/no-explicit-any
    await migrateTo(old, engine.flavour, '0001-initial');
    const names = async () => (await old.selectFrom(MIGRATION_TABLE).select('name').orderBy('name').execute()).map((r: { name: string }) => r.name);
    assert.deepEqual(await names(), ['0001-initial']);
    assert.ok(!(await old.introspection.getTables()).some((t) => t.name === 'bans'));
    await migrateTo(old, engine.flavour, '0001-initial'); // idempotent
    await old.insertInto('domains').values({ name: 'example.com', created_at: '2024-01-01T00:00:00.000Z' }).execute();
    await old.destroy();

    const dir = await openDirectory({ kind: 'sqlite', path: file });
    try {
      assert.deepEqual((await dir.listDomains()).map((d) => d.name), ['example.com']);
      await dir.addBan({ kind: 'account', subject: 'alice@example.com', reason: 'r', seconds: 60 });
      assert.equal((await dir.activeBans({ account: 'alice@example.com' })).length, 1);
    } finally {
      await dir.close();
    }
    const raw = openSqlite(file);
    try {
      const rows = raw.prepare(`select name from ${MIGRATION_TABLE} order by name`).all([]) as Array<{ name: string }>;
      assert.deepEqual(rows.map((r) => r.name), ['0001-initial', '0002-bans', '0003-secrets', '0004-vault-canaries', '0005-backend-credentials', '0006-admins', '0007-admin-totp', '0008-login-history', '0009-app-passwords']);
      const indexes = raw.prepare(`select name from sqlite_master where type = 'index' and tbl_name = 'bans' and name like 'bans_%' order by name`).all([]) as Array<{ name: string }>;
      assert.deepEqual(indexes.map((r) => r.name), ['bans_expires_at', 'bans_subject_expires_at']);
    } finally {
      raw.close();
    }
  });

  it('upgrades a schema-2 database to schema 3 (reversible credentials), keeping its mailboxes', async () => {
    const engine = openSqliteEngine(file);
    const old = new Kysely<any>({ dialect: engine.dialect }); // eslint-disable-line @typescript-eslint/no-explicit-any
    await migrateTo(old, engine.flavour, '0002-bans');
    const at = '2024-01-01T00:00:00.000Z';
    const { id } = await old.insertInto('domains').values({ name: 'example.com', created_at: at }).returning('id').executeTakeFirstOrThrow();
    await old
      .insertInto('mailboxes')
      .values({ address: 'a@example.com', domain_id: id, password_hash: '{PLAIN}x', enabled: 1, protocols: 'imap,pop3,smtp', networks: '', created_at: at, updated_at: at })
      .execute();
    await old.destroy();

    const dir = await openDirectory({ kind: 'sqlite', path: file });
    try {
      const m = (await dir.findLogin('a@example.com'))?.mailbox;
      assert.equal(m?.passwordHash, '{PLAIN}x');
      assert.equal(m?.reversibleSecret, null);
      assert.equal(m?.secretChangedAt, null);
    } finally {
      await dir.close();
    }
  });

  it('upgrades a schema-3 database to schema 4 (vault canaries), keeping its secrets', async () => {
    const engine = openSqliteEngine(file);
    const old = new Kysely<any>({ dialect: engine.dialect }); // eslint-disable-line @typescript-eslint/no-explicit-any
    await migrateTo(old, engine.flavour, '0003-secrets');
    assert.ok(!(await old.introspection.getTables()).some((t) => t.name === 'vault_canaries'));
    const at = '2024-01-01T00:00:00.000Z';
    const { id } = await old.insertInto('domains').values({ name: 'example.com', created_at: at }).returning('id').executeTakeFirstOrThrow();
    await old
      .insertInto('mailboxes')
      .values({ address: 'a@example.com', domain_id: id, password_hash: null, enabled: 1, protocols: 'pop3', networks: '', created_at: at, updated_at: at, reversible_secret: 'pv1.k1.x.y', secret_changed_at: at })
      .execute();
    await old.destroy();

    const dir = await openDirectory({ kind: 'sqlite', path: file });
    try {
      assert.deepEqual(await dir.listCanaries(), []);
      assert.deepEqual([...(await dir.secretsPerKeyId())], [['k1', 1]]);
      await dir.saveCanary('k1', 'pv1.k1.canary.text');
      assert.deepEqual((await dir.listCanaries()).map((c) => [c.keyId, c.ciphertext]), [['k1', 'pv1.k1.canary.text']]);
    } finally {
      await dir.close();
    }
  });
  it('upgrades a schema-4 database to schema 5 (backend credentials), keeping its backends and mailboxes', async () => {
    const engine = openSqliteEngine(file);
    const old = new Kysely<any>({ dialect: engine.dialect }); // eslint-disable-line @typescript-eslint/no-explicit-any
    await migrateTo(old, engine.flavour, '0004-vault-canaries');
    const at = '2024-01-01T00:00:00.000Z';
    const { id } = await old.insertInto('domains').values({ name: 'example.com', created_at: at }).returning('id').executeTakeFirstOrThrow();
    await old
      .insertInto('mailboxes')
      .values({ address: 'a@example.com', domain_id: id, password_hash: null, enabled: 1, protocols: 'pop3', networks: '', created_at: at, updated_at: at, reversible_secret: 'pv1.k1.x.y', secret_changed_at: at })
      .execute();
    await old.insertInto('backends').values({ name: 'imap1', host: '10.0.0.1', imap_port: 143, created_at: at }).execute();
    await old.destroy();

    const dir = await openDirectory({ kind: 'sqlite', path: file });
    try {
      const b = await dir.getBackend('imap1');
      assert.deepEqual([b?.ports.imap, b?.masterUser, b?.masterSecret, b?.masterChangedAt, b?.masterSeparator], [143, null, null, null, '*']);
      const m = await dir.getMailbox('a@example.com');
      assert.deepEqual([m?.reversibleSecret, m?.backendLogin], ['pv1.k1.x.y', null]);
      assert.deepEqual([...(await dir.secretsPerKeyId())], [['k1', 1]]);
    } finally {
      await dir.close();
    }
  });

  it('upgrades a schema-5 database to schema 6 (admins), keeping its mailboxes', async () => {
    const engine = openSqliteEngine(file);
    const old = new Kysely<any>({ dialect: engine.dialect }); // eslint-disable-line @typescript-eslint/no-explicit-any
    await migrateTo(old, engine.flavour, '0005-backend-credentials');
    assert.ok(!(await old.introspection.getTables()).some((t) => t.name === 'admins'));
    const at = '2024-01-01T00:00:00.000Z';
    const { id } = await old.insertInto('domains').values({ name: 'example.com', created_at: at }).returning('id').executeTakeFirstOrThrow();
    await old
      .insertInto('mailboxes')
      .values({ address: 'a@example.com', domain_id: id, password_hash: '{PLAIN}x', enabled: 1, protocols: 'imap', networks: '', created_at: at, updated_at: at })
      .execute();
    await old.destroy();

    const dir = await openDirectory({ kind: 'sqlite', path: file });
    try {
      assert.equal((await dir.getMailbox('a@example.com'))?.passwordHash, '{PLAIN}x');
      assert.deepEqual(await dir.listAdmins(), []);
      const admin = await dir.addAdmin('root', '{ARGON2ID}$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g');
      assert.equal(admin.name, 'root');
    } finally {
      await dir.close();
    }
  });
});
