import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load.js';
import { problems } from './test-support.js';
import { InitRefused, initConfig, nginxMailBlock } from './init.js';

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'postern-config-'));
}

test('init writes a valid config with a fresh 0600 secret and never overwrites', () => {
  const dir = folder();
  try {
    const file = join(dir, 'postern.toml');
    const res = initConfig(file);
    assert.equal(statSync(res.secretFile).mode & 0o777, 0o600);
    const cfg = loadConfig(file, {});
    assert.equal(cfg.listen.port, 8880);
    assert.equal(cfg.database.path, join(dir, 'postern-data', 'postern.db'));
    assert.ok(cfg.secret.length >= 32);
    assert.throws(() => initConfig(file), InitRefused);
    const block = nginxMailBlock(cfg, { showSecret: true });
    assert.match(block, /auth_http\s+127\.0\.0\.1:8880\/auth;/);
    assert.ok(block.includes(`auth_http_header X-Postern-Secret "${cfg.secret.toString()}";`));
    assert.ok(!nginxMailBlock(cfg, { showSecret: false }).includes(cfg.secret.toString()));
    // A second init with another config name next to it must not replace the existing secret.
    const secret = readFileSync(res.secretFile, 'utf8');
    assert.throws(() => initConfig(join(dir, 'other.toml')), InitRefused);
    assert.equal(readFileSync(res.secretFile, 'utf8'), secret);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every problem is reported at once, naming the key', () => {
  const dir = folder();
  try {
    const file = join(dir, 'c.toml');
    writeFileSync(file, '[listen]\nport = 70000\nhots = "x"\n[auth]\nallowed_networks = ["10.0.0.0/33"]\n');
    const list = problems(() => loadConfig(file, {}));
    assert.ok(list.some((p) => p.startsWith('listen.port:')), list.join('\n'));
    assert.ok(list.some((p) => p.includes('unknown setting(s) hots')), list.join('\n'));
    assert.ok(list.some((p) => p.startsWith('auth.allowed_networks.0:')), list.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing file, broken TOML and a missing or weak secret are explained', () => {
  const dir = folder();
  try {
    assert.match(problems(() => loadConfig(join(dir, 'none.toml'), {}))[0]!, /postern init/);
    const bad = join(dir, 'bad.toml');
    writeFileSync(bad, '[listen\nport = 1');
    assert.match(problems(() => loadConfig(bad, {}))[0]!, /TOML syntax/);
    const empty = join(dir, 'empty.toml');
    writeFileSync(empty, '');
    assert.match(problems(() => loadConfig(empty, {}))[0]!, /no shared secret/);
    assert.match(problems(() => loadConfig(empty, { POSTERN_AUTH_SECRET: 'short' }))[0]!, /at least 16 bytes/);
    const weird = problems(() => loadConfig(empty, { POSTERN_AUTH_SECRET: 'has spaces in the secret value' }))[0]!;
    assert.match(weird, /printable ASCII/);
    assert.ok(!weird.includes('has spaces'), 'the secret itself is never echoed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('environment variables override the file, with types checked', () => {
  const dir = folder();
  try {
    const file = join(dir, 'c.toml');
    writeFileSync(file, '[listen]\nport = 9000\n');
    const env = { POSTERN_AUTH_SECRET: 'x'.repeat(20), POSTERN_LISTEN_PORT: '9100', POSTERN_AUTH_ALLOWED_NETWORKS: '10.0.0.0/8, ::1', POSTERN_PASSWORDS_UPGRADE_ON_LOGIN: 'false' };
    const cfg = loadConfig(file, env);
    assert.equal(cfg.listen.port, 9100);
    assert.deepEqual(cfg.auth.allowed_networks, ['10.0.0.0/8', '::1']);
    assert.equal(cfg.passwords.upgrade_on_login, false);
    assert.equal(cfg.secret.toString(), 'x'.repeat(20));
    assert.ok(Object.isFrozen(cfg.listen));
    const list = problems(() => loadConfig(file, { ...env, POSTERN_LISTEN_PORT: 'eighty' }));
    assert.ok(list.some((p) => p.includes('POSTERN_LISTEN_PORT')), list.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init creates vault key k1 (0600) and the [vault] section; the keyring loads with it', () => {
  const dir = folder();
  try {
    const file = join(dir, 'postern.toml');
    const res = initConfig(file);
    assert.equal(res.keyFile, join(dir, 'postern-data', 'keys', 'k1.key'));
    assert.equal(statSync(res.keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /\[vault\][\s\S]*id = "k1", state = "active", file = "postern-data\/keys\/k1\.key"/);
    const cfg = loadConfig(file, {});
    assert.equal(cfg.keyring?.active.id, 'k1');
    assert.ok(!JSON.stringify(cfg).includes(readFileSync(res.keyFile, 'utf8').trim()), 'the key bytes are not in the config object');
    // init never overwrites a key file either.
    rmSync(file);
    rmSync(res.secretFile);
    assert.throws(() => initConfig(file), InitRefused);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without [vault] keys the vault is off; keyring problems are configuration problems', () => {
  const dir = folder();
  try {
    writeFileSync(join(dir, 'secret'), 'x'.repeat(32));
    const file = join(dir, 'c.toml');
    writeFileSync(file, '[auth]\nsecret_file = "secret"\n');
    assert.equal(loadConfig(file, {}).keyring, null);
    writeFileSync(file, '[auth]\nsecret_file = "secret"\n[vault]\nkeys = [{ id = "k1", state = "active", file = "keys/k1.key" }, { id = "k0", state = "decrypt-only" }]\n');
    const list = problems(() => loadConfig(file, {}));
    assert.ok(list.some((p) => p.startsWith('vault.keys:') && p.includes(join(dir, 'keys', 'k1.key')) && p.includes('does not exist')), list.join('\n'));
    assert.ok(list.some((p) => p.includes('"k0"') && p.includes('POSTERN_KEY_K0')), list.join('\n'));
    // Key bytes from the environment, per key id.
    const env = { POSTERN_KEY_K0: Buffer.alloc(32, 7).toString('base64') };
    writeFileSync(file, '[auth]\nsecret_file = "secret"\n[vault]\nkeys = [{ id = "k0", state = "active" }]\n');
    const cfg = loadConfig(file, env);
    assert.equal(cfg.keyring?.active.id, 'k0');
    writeFileSync(file, '[auth]\nsecret_file = "secret"\n[vault]\nkeys = [{ id = "k0", state = "on" }]\n');
    assert.ok(problems(() => loadConfig(file, {})).some((p) => p.startsWith('vault.keys.0.state')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('[admin]: defaults, init writes the auth port + 1, env overrides, and precise errors', () => {
  const dir = folder();
  try {
    const file = join(dir, 'postern.toml');
    initConfig(file, { port: 9100 });
    const cfg = loadConfig(file, {});
    assert.equal(cfg.admin.port, 9101);
    assert.deepEqual([cfg.admin.enabled, cfg.admin.host, cfg.admin.path, cfg.admin.public_url, cfg.admin.session_binding], [true, '127.0.0.1', '/', '', 'off']);
    assert.deepEqual(cfg.admin.trusted_proxies, ['loopback']);
    const env = loadConfig(file, { POSTERN_ADMIN_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.2', POSTERN_ADMIN_PUBLIC_URL: 'https://mail.example.com/gw', POSTERN_ADMIN_PROXY_PROTOCOL: 'true' });
    assert.deepEqual(env.admin.trusted_proxies, ['10.0.0.0/8', '127.0.0.2']);
    assert.equal(env.admin.proxy_protocol, true);
    const list = problems(() =>
      loadConfig(file, { POSTERN_ADMIN_PUBLIC_URL: 'mail.example.com/gw', POSTERN_ADMIN_TRUSTED_PROXIES: 'loopback,banana', POSTERN_ADMIN_PATH: 'admin', POSTERN_ADMIN_SESSION_BINDING: 'ip' }),
    );
    assert.ok(list.some((p) => /^admin\.public_url: not-absolute: .*write the scheme too/.test(p)), list.join('\n'));
    assert.ok(list.some((p) => /^admin\.trusted_proxies: .*"banana"/.test(p)), list.join('\n'));
    assert.ok(list.some((p) => /^admin\.path: .*must start with \//.test(p)), list.join('\n'));
    assert.ok(list.some((p) => p.startsWith('admin.session_binding:')), list.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
