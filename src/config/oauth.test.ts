/** `[oauth]`: defaults, where the client secret comes from, and every bad value named with its key. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './load.js';
import { problems, withConfig } from './test-support.js';

const SECTION = ['[oauth]', 'introspection_url = "https://id.example.com/oauth2/introspect"', 'client_id = "postern"'];

test('without [oauth] there is no section and no secret', () => {
  withConfig('', (file) => {
    const cfg = loadConfig(file, {});
    assert.equal(cfg.oauth, undefined);
    assert.equal(cfg.oauthClientSecret, null);
  });
});

test('defaults, and the secret read from client_secret_file relative to the config file', () => {
  withConfig([...SECTION, 'client_secret_file = "oauth-secret"'].join('\n'), (file, dir) => {
    writeFileSync(join(dir, 'oauth-secret'), ' s3cret value \nsecond line\n', { mode: 0o600 });
    const cfg = loadConfig(file, {});
    assert.deepEqual(cfg.oauth, {
      introspection_url: 'https://id.example.com/oauth2/introspect',
      client_id: 'postern',
      client_secret_file: join(dir, 'oauth-secret'),
      username_claim: 'username',
      required_scope: '',
      timeout_ms: 2000,
      cache_seconds: 60,
    });
    assert.equal(cfg.oauthClientSecret?.toString(), 's3cret value');
    assert.equal(loadConfig(file, { POSTERN_OAUTH_CLIENT_SECRET: 'from-env' }).oauthClientSecret?.toString(), 'from-env', 'the environment wins');
  });
});

test('every setting; ca_file relative to the config file, and readable', () => {
  const lines = [...SECTION, 'username_claim = "email"', 'required_scope = "mail"', 'timeout_ms = 1500', 'cache_seconds = 0', 'ca_file = "idp-ca.pem"'];
  withConfig(lines.join('\n'), (file, dir) => {
    assert.deepEqual(problems(() => loadConfig(file, { POSTERN_OAUTH_CLIENT_SECRET: 'x' })), [`oauth.ca_file (${join(dir, 'idp-ca.pem')}): cannot read it (ENOENT)`]);
    writeFileSync(join(dir, 'idp-ca.pem'), '-----BEGIN CERTIFICATE-----\n');
    const o = loadConfig(file, { POSTERN_OAUTH_CLIENT_SECRET: 'x' }).oauth!;
    assert.deepEqual([o.username_claim, o.required_scope, o.timeout_ms, o.cache_seconds, o.ca_file], ['email', 'mail', 1500, 0, join(dir, 'idp-ca.pem')]);
  });
});

test('no secret, an unreadable file, or a secret written in the config: explained', () => {
  withConfig(SECTION.join('\n'), (file) => {
    assert.deepEqual(problems(() => loadConfig(file, {})), ['oauth: no client secret; set oauth.client_secret_file or POSTERN_OAUTH_CLIENT_SECRET']);
  });
  withConfig([...SECTION, 'client_secret_file = "missing"'].join('\n'), (file, dir) => {
    assert.deepEqual(problems(() => loadConfig(file, {})), [`oauth.client_secret_file (${join(dir, 'missing')}): cannot read it (ENOENT)`]);
  });
  withConfig([...SECTION, 'client_secret = "in the open"'].join('\n'), (file) => {
    const list = problems(() => loadConfig(file, { POSTERN_OAUTH_CLIENT_SECRET: 'x' }));
    assert.equal(list.length, 1);
    assert.match(list[0]!, /^oauth\.client_secret: secrets are not kept in the config file: .*client_secret_file.*POSTERN_OAUTH_CLIENT_SECRET/);
    assert.ok(!list[0]!.includes('in the open'));
  });
});

test('bad values name their key', () => {
  const cases: Array<[string[], RegExp]> = [
    [['introspection_url = "ftp://id.example.com/x"'], /^oauth\.introspection_url: must be http:\/\/ or https:\/\//],
    [['introspection_url = "id.example.com/introspect"'], /^oauth\.introspection_url: not a URL/],
    [['introspection_url = "https://u:p@id.example.com/x"'], /^oauth\.introspection_url: must not carry user:password/],
    [['client_id = ""'], /^oauth\.client_id:/],
    [['required_scope = "mail openid"'], /^oauth\.required_scope: one scope token/],
    [['timeout_ms = 10'], /^oauth\.timeout_ms:/],
    [['timeout_ms = 5000'], /^oauth\.timeout_ms: must be below auth\.decision_timeout_ms \(5000\)/],
    [['cache_seconds = -1'], /^oauth\.cache_seconds:/],
    [['username_claim = ""'], /^oauth\.username_claim:/],
    [['scope = "mail"'], /^oauth: unknown setting\(s\) scope/],
  ];
  for (const [extra, want] of cases) {
    const keys = new Set(extra.map((l) => l.split(' ')[0]));
    const lines = [...SECTION.filter((l) => !keys.has(l.split(' ')[0])), ...extra];
    withConfig(lines.join('\n'), (file) => {
      const list = problems(() => loadConfig(file, { POSTERN_OAUTH_CLIENT_SECRET: 'x' }));
      assert.ok(list.some((p) => want.test(p)), `${extra.join(', ')}: ${list.join(' | ')}`);
    });
  }
  withConfig('[oauth]\nclient_id = "postern"', (file) => {
    assert.ok(problems(() => loadConfig(file, { POSTERN_OAUTH_CLIENT_SECRET: 'x' })).some((p) => p.startsWith('oauth.introspection_url:')));
  });
});

test('the section from the environment alone: POSTERN_OAUTH_<KEY> as for every section; a missing key is named', () => {
  withConfig('', (file, dir) => {
    const env = { POSTERN_OAUTH_INTROSPECTION_URL: 'https://id.example.com/introspect', POSTERN_OAUTH_CLIENT_ID: 'postern', POSTERN_OAUTH_CLIENT_SECRET: 'from-env', POSTERN_OAUTH_CACHE_SECONDS: '5', POSTERN_OAUTH_CA_FILE: 'idp-ca.pem' };
    writeFileSync(join(dir, 'idp-ca.pem'), '-----BEGIN CERTIFICATE-----\n');
    const cfg = loadConfig(file, env);
    assert.deepEqual(
      [cfg.oauth?.introspection_url, cfg.oauth?.client_id, cfg.oauth?.cache_seconds, cfg.oauth?.timeout_ms, cfg.oauth?.ca_file, cfg.oauthClientSecret?.toString()],
      ['https://id.example.com/introspect', 'postern', 5, 2000, join(dir, 'idp-ca.pem'), 'from-env'],
    );
    assert.equal(loadConfig(file, { POSTERN_OAUTH_CLIENT_SECRET: 'x' }).oauth, undefined, 'the secret alone does not make the section');
    const missing = problems(() => loadConfig(file, { POSTERN_OAUTH_CLIENT_ID: 'postern', POSTERN_OAUTH_CLIENT_SECRET: 'x' }));
    assert.equal(missing.length, 1);
    assert.match(missing[0]!, /^oauth\.introspection_url: .*expected string, received undefined/);
    assert.deepEqual(problems(() => loadConfig(file, { ...env, POSTERN_OAUTH_TIMEOUT_MS: 'soon' })), ['POSTERN_OAUTH_TIMEOUT_MS: "soon" is not a number']);
  });
});
