/**
 * `[mail_proxy]` client certificates (nginx `ssl_verify_client`, `ssl_client_certificate`,
 * `auth_http_pass_client_cert`), the SMTP resolver (`resolver`, `resolver_timeout`) and the
 * backend CAs (`backend_tls_ca_file`: a file, `system` or `bundled`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig } from './load.js';
import { isDnsServer } from './mail-proxy.js';
import { problems, withConfig } from './test-support.js';

const TLS = ['[mail_proxy]', 'tls_cert_file = "cert.pem"', 'tls_key_file = "key.pem"'];
const listener = (...lines: string[]): string[] => ['[[mail_proxy.listeners]]', 'protocol = "imap"', `port = ${1000 + lines.length}`, ...lines];

test('defaults: no client certificates asked, none passed, no resolver with nginx\'s 30 s, the system CA bundle', () => {
  withConfig([...TLS, ...listener('tls = "implicit"')].join('\n'), (file) => {
    const mp = loadConfig(file, {}).mail_proxy;
    assert.equal(mp.auth_http_pass_client_cert, false);
    assert.deepEqual(mp.resolver, []);
    assert.equal(mp.resolver_timeout_seconds, 30);
    const l = mp.listeners[0]!;
    assert.equal(l.tls_verify_client, 'off');
    assert.equal(l.tls_client_ca_file, undefined);
    assert.equal(l.auth_http_pass_client_cert, undefined);
    assert.equal(l.backend_tls_ca_file, 'system', 'a keyword, not a path beside the config');
  });
});

test('client CA files are relative to the config file; "system" and "bundled" stay words', () => {
  const toml = [
    ...TLS,
    'auth_http_pass_client_cert = true',
    'resolver = ["127.0.0.1:5353", "[::1]:53"]',
    'resolver_timeout_seconds = 5',
    ...listener('tls = "implicit"', 'tls_verify_client = "on"', 'tls_client_ca_file = "clients/ca.pem"', 'auth_http_pass_client_cert = false', 'backend_tls_ca_file = "bundled"'),
    ...listener('tls = "starttls"', 'tls_verify_client = "optional_no_ca"', 'backend_tls_ca_file = "backend-ca.pem"'),
  ].join('\n');
  withConfig(toml, (file, dir) => {
    const mp = loadConfig(file, {}).mail_proxy;
    assert.equal(mp.auth_http_pass_client_cert, true);
    assert.deepEqual(mp.resolver, ['127.0.0.1:5353', '[::1]:53']);
    assert.equal(mp.resolver_timeout_seconds, 5);
    const [a, b] = mp.listeners;
    assert.equal(a!.tls_client_ca_file, join(dir, 'clients/ca.pem'));
    assert.equal(a!.auth_http_pass_client_cert, false);
    assert.equal(a!.backend_tls_ca_file, 'bundled');
    assert.equal(b!.tls_verify_client, 'optional_no_ca');
    assert.equal(b!.backend_tls_ca_file, join(dir, 'backend-ca.pem'));
  });
});

test('the environment sets the resolver list', () => {
  withConfig('', (file) => {
    assert.deepEqual(loadConfig(file, { POSTERN_MAIL_PROXY_RESOLVER: '192.0.2.53, 192.0.2.54:5353' }).mail_proxy.resolver, ['192.0.2.53', '192.0.2.54:5353']);
  });
});

test('verification needs TLS, "on" and "optional" need a CA file (as nginx), a CA file needs verification', () => {
  const toml = [
    ...TLS,
    'resolver = ["dns.example:53", "127.0.0.1:0"]',
    ...listener('tls_verify_client = "optional_no_ca"'),
    ...listener('tls = "implicit"', 'tls_verify_client = "on"'),
    ...listener('tls = "implicit"', 'tls_verify_client = "optional"', 'x = 1'),
    ...listener('tls = "starttls"', 'tls_client_ca_file = "ca.pem"', 'a = 1', 'b = 2'),
    ...listener('tls = "starttls"', 'tls_verify_client = "require"', 'a = 1', 'b = 2', 'c = 3'),
  ].join('\n');
  withConfig(toml, (file) => {
    const list = problems(() => loadConfig(file, {}));
    const has = (re: RegExp) => assert.ok(list.some((p) => re.test(p)), `${re}\n${list.join('\n')}`);
    has(/^mail_proxy\.resolver\.0: not a DNS server address/);
    has(/^mail_proxy\.resolver\.1: not a DNS server address/);
    has(/^mail_proxy\.listeners\.0\.tls_verify_client: needs tls = "implicit", "starttls" or "starttls-only"/);
    has(/^mail_proxy\.listeners\.1\.tls_client_ca_file: needed with tls_verify_client = "on"/);
    has(/^mail_proxy\.listeners\.3\.tls_client_ca_file: is used only with tls_verify_client/);
    has(/^mail_proxy\.listeners\.4\.tls_verify_client: /);
  });
});

test('DNS server addresses as Node\'s Resolver takes them', () => {
  for (const ok of ['192.0.2.53', '192.0.2.53:5353', '2001:db8::53', '[2001:db8::53]:53', '[::1]']) assert.equal(isDnsServer(ok), true, ok);
  for (const bad of ['', 'dns.example', '192.0.2.53:', '192.0.2.53:0', '192.0.2.53:65536', '[192.0.2.53]:53', '2001:db8::53:53x', '[::1]:x']) assert.equal(isDnsServer(bad), false, bad);
});
