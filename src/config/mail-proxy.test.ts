/**
 * The `[mail_proxy]` section: off by default, nginx's per-protocol defaults for each listener,
 * paths relative to the config file, environment overrides, and precise errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load.js';
import { problems, withConfig } from './test-support.js';

test('off by default, with nginx\'s defaults', () => {
  withConfig('', (file) => {
    const mp = loadConfig(file, {}).mail_proxy;
    assert.equal(mp.enabled, false);
    assert.equal(mp.server_name, hostname());
    assert.equal(mp.auth_http, 'in-process');
    assert.equal(mp.auth_http_timeout_ms, 60000);
    assert.deepEqual(mp.auth_http_headers, {});
    assert.equal(mp.timeout_seconds, 60);
    assert.equal(mp.proxy_timeout_seconds, 86400);
    assert.equal(mp.pass_error_message, false);
    assert.deepEqual(mp.trusted_proxies, []);
    assert.deepEqual(mp.listeners, []);
  });
});

test('each listener gets its protocol\'s auth methods and capabilities unless it names them', () => {
  const toml = [
    '[mail_proxy]',
    'enabled = true',
    'tls_cert_file = "certs/mail.pem"',
    'tls_key_file = "/etc/ssl/mail.key"',
    'auth_http_headers = { X-Postern-Secret = "abc" }',
    ...['imap', 'pop3', 'smtp', 'smtp-mx'].flatMap((p, i) => ['[[mail_proxy.listeners]]', `protocol = "${p}"`, `port = ${1000 + i}`]),
    '[[mail_proxy.listeners]]',
    'protocol = "imap"',
    'port = 993',
    'tls = "implicit"',
    'auth = ["plain", "cram-md5"]',
    'capabilities = ["IMAP4rev1"]',
    'backend_tls = "starttls"',
    'backend_tls_ca_file = "ca.pem"',
    'auth_http = "127.0.0.1:9000/auth"',
  ].join('\n');
  withConfig(toml, (file, dir) => {
    const mp = loadConfig(file, {}).mail_proxy;
    assert.deepEqual(
      mp.listeners.map((l) => [l.protocol, l.auth, l.capabilities]),
      [
        ['imap', ['plain'], ['IMAP4', 'IMAP4rev1', 'UIDPLUS']],
        ['pop3', ['plain'], ['TOP', 'USER', 'UIDL']],
        ['smtp', ['plain', 'login'], []],
        ['smtp-mx', ['none'], []],
        ['imap', ['plain', 'cram-md5'], ['IMAP4rev1']],
      ],
    );
    const first = mp.listeners[0]!;
    assert.deepEqual(
      [first.host, first.tls, first.proxy_protocol, first.max_errors, first.client_buffer, first.xclient, first.backend_auth, first.backend_tls, first.backend_proxy_protocol],
      ['127.0.0.1', 'none', false, 5, 4096, true, false, 'none', 'off'],
    );
    assert.equal(mp.tls_cert_file, join(dir, 'certs/mail.pem'));
    assert.equal(mp.tls_key_file, '/etc/ssl/mail.key');
    assert.equal(mp.listeners[4]!.backend_tls_ca_file, join(dir, 'ca.pem'));
    assert.equal(mp.listeners[4]!.auth_http, '127.0.0.1:9000/auth');
    assert.deepEqual(mp.auth_http_headers, { 'X-Postern-Secret': 'abc' });
  });
});

test('environment variables override the scalar settings', () => {
  withConfig('[[mail_proxy.listeners]]\nprotocol = "imap"\nport = 1143', (file) => {
    const mp = loadConfig(file, { POSTERN_MAIL_PROXY_ENABLED: 'true', POSTERN_MAIL_PROXY_TIMEOUT_SECONDS: '5', POSTERN_MAIL_PROXY_TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.1' }).mail_proxy;
    assert.equal(mp.enabled, true);
    assert.equal(mp.timeout_seconds, 5);
    assert.deepEqual(mp.trusted_proxies, ['10.0.0.0/8', '192.0.2.1']);
  });
});

test('mistakes are explained, naming the key', () => {
  const toml = [
    '[mail_proxy]',
    'auth_http = "example.test:99999/auth"',
    'trusted_proxies = ["10.0.0.0/33"]',
    '[[mail_proxy.listeners]]',
    'protocol = "imap"',
    'port = 143',
    'tls = "starttls"',
    'auth = ["apop"]',
    '[[mail_proxy.listeners]]',
    'protocol = "pop3"',
    'port = 143',
    'backend_auth = true',
    '[[mail_proxy.listeners]]',
    'protocol = "smtp-mx"',
    'port = 25',
    'auth = ["plain"]',
    'colour = "blue"',
  ].join('\n');
  withConfig(toml, (file) => {
    const list = problems(() => loadConfig(file, {}));
    const has = (re: RegExp) => assert.ok(list.some((p) => re.test(p)), `${re}\n${list.join('\n')}`);
    has(/^mail_proxy\.auth_http: not "in-process" nor an auth_http URL .*invalid port/);
    has(/^mail_proxy\.trusted_proxies\.0: not an IP address or CIDR network/);
    has(/^mail_proxy\.listeners\.0\.auth\.0: "apop" is not an auth method for imap \(use plain, login, cram-md5, external, oauthbearer, xoauth2\)/);
    has(/^mail_proxy\.listeners\.1\.port: 127\.0\.0\.1:143 is used by another listener/);
    has(/^mail_proxy\.listeners\.1\.backend_auth: is for protocol = "smtp" listeners only/);
    has(/^mail_proxy\.listeners\.2\.auth\.0: "plain" is not an auth method for smtp-mx \(use none\)/);
    has(/^mail_proxy\.listeners\.2: unknown setting\(s\) colour/);
  });
  withConfig('[mail_proxy]\nenabled = true\n[[mail_proxy.listeners]]\nprotocol = "pop3"\nport = 995\ntls = "implicit"', (file) => {
    const list = problems(() => loadConfig(file, {}));
    assert.ok(list.some((p) => p === 'mail_proxy.tls_cert_file: needed: listener(s) on port 995 use TLS'), list.join('\n'));
    assert.ok(list.some((p) => p.startsWith('mail_proxy.tls_key_file: needed')), list.join('\n'));
  });
  withConfig('[mail_proxy]\nenabled = true', (file) => {
    assert.deepEqual(problems(() => loadConfig(file, {})), ['mail_proxy.listeners: enabled = true needs at least one [[mail_proxy.listeners]]']);
  });
});

test('oauthbearer and xoauth2: allowed for imap, pop3 and smtp; refused in-process without [oauth]', () => {
  const listeners = (inProcess: boolean): string[] =>
    [
      ['imap', 'auth = ["plain", "xoauth2"]'],
      ['pop3', 'auth = ["oauthbearer", "xoauth2"]'],
      ['smtp', 'auth = ["plain", "oauthbearer"]', 'auth_http = "127.0.0.1:9000/auth"'],
      ['imap', 'auth = ["plain"]'],
    ].flatMap(([protocol, ...rest], i) => ['[[mail_proxy.listeners]]', `protocol = "${protocol}"`, `port = ${2000 + i}`, ...rest.filter((r) => inProcess || !r.startsWith('auth_http'))]);
  // An auth server over HTTP is the operator's to vouch for.
  withConfig(['[mail_proxy]', 'auth_http = "127.0.0.1:9000/auth"', ...listeners(false)].join('\n'), (file) => {
    const mp = loadConfig(file, {}).mail_proxy;
    assert.deepEqual(mp.listeners.map((l) => l.auth), [['plain', 'xoauth2'], ['oauthbearer', 'xoauth2'], ['plain', 'oauthbearer'], ['plain']]);
  });
  // In-process (the default) without [oauth], Postern's own endpoint would refuse every bearer login.
  withConfig(['[mail_proxy]', ...listeners(true)].join('\n'), (file) => {
    assert.deepEqual(
      problems(() => loadConfig(file, {})).map((p) => p.split(':').slice(0, 2).join(':')),
      ['mail_proxy.listeners.0.auth: xoauth2', 'mail_proxy.listeners.1.auth: oauthbearer and xoauth2'],
    );
  });
  // With [oauth] it checks the tokens itself.
  const oauth = ['[oauth]', 'introspection_url = "https://id.example.com/oauth2/introspect"', 'client_id = "postern"'];
  withConfig([...oauth, '[mail_proxy]', ...listeners(true)].join('\n'), (file) => {
    const cfg = loadConfig(file, { POSTERN_OAUTH_CLIENT_SECRET: 'a secret' });
    assert.deepEqual(cfg.mail_proxy.listeners.map((l) => l.auth[l.auth.length - 1]), ['xoauth2', 'xoauth2', 'oauthbearer', 'plain']);
  });
  withConfig(['[mail_proxy]', '[[mail_proxy.listeners]]', 'protocol = "smtp-mx"', 'port = 25', 'auth = ["xoauth2"]'].join('\n'), (file) => {
    assert.match(problems(() => loadConfig(file, {})).join('\n'), /"xoauth2" is not an auth method for smtp-mx \(use none\)/);
  });
});
