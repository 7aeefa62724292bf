/**
 * Tests for diagnose.ts: each anchor failure (mox #151's stripped path, SFTPGo's untrusted and
 * trust-everything proxies, nginx's default Host) produces its stable code and a fix that names
 * the setting or directive; a correct setup produces nothing to fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { diagnose, FINDING_CODES, type DiagnoseInput, type Finding } from './diagnose.js';
import { resolveForwarded, type ClientIpHeader } from './forwarded.js';
import type { HeaderList } from './headers.js';
import { checkOrigin } from './origin-check.js';
import { parsePublicUrl, type PrefixMode, type PublicUrl } from './public-url.js';
import { parseTrustedProxies, type TrustedProxies } from './trusted-proxies.js';

function url(text: string): PublicUrl {
  const r = parsePublicUrl(text);
  assert.ok(r.ok);
  return r.value;
}

function trusted(list: readonly string[]): TrustedProxies {
  const r = parseTrustedProxies(list);
  assert.ok(r.ok);
  return r.value;
}

interface Scenario {
  publicUrl: string;
  peer?: string;
  tls?: boolean;
  headers?: HeaderList;
  trust?: readonly string[];
  header?: ClientIpHeader;
  cookie?: boolean;
  target?: string;
  mode?: PrefixMode;
  post?: HeaderList;
}

function run(s: Scenario): Finding[] {
  const publicUrl = url(s.publicUrl);
  const trust = trusted(s.trust ?? ['loopback']);
  const forwarding = resolveForwarded({ peer: s.peer ?? '127.0.0.1', tls: s.tls ?? false, headers: s.headers ?? [] }, { trusted: trust, header: s.header ?? 'x-forwarded-for' });
  const input: DiagnoseInput = { publicUrl, forwarding, trusted: trust };
  if (s.cookie !== undefined) input.cookie = { name: '__Secure-postern_admin', returned: s.cookie };
  if (s.target !== undefined) input.request = { target: s.target, mode: s.mode ?? 'auto' };
  if (s.post !== undefined) input.origin = checkOrigin(publicUrl, 'POST', s.post);
  const findings = diagnose(input);
  for (const f of findings) {
    assert.ok(f.message.length > 0 && f.fix.length > 0, `${f.code} needs a message and a fix`);
    assert.ok(f.code in FINDING_CODES, `${f.code} is not registered`);
  }
  return findings;
}

const codes = (f: Finding[]): string[] => f.map((x) => x.code);
const find = (f: Finding[], code: string): Finding => {
  const x = f.find((y) => y.code === code);
  assert.ok(x, `no ${code} in ${JSON.stringify(codes(f))}`);
  return x;
};

const GOOD_NGINX: HeaderList = [
  ['Host', 'mail.example.com'],
  ['X-Forwarded-For', '198.51.100.20'],
  ['X-Forwarded-Proto', 'https'],
];

test('a correct nginx setup gives no findings', () => {
  assert.deepEqual(run({ publicUrl: 'https://mail.example.com/gw/', headers: GOOD_NGINX, cookie: true, target: '/gw/mailboxes' }), []);
  assert.deepEqual(run({ publicUrl: 'https://mail.example.com/gw/', headers: [...GOOD_NGINX, ['X-Forwarded-Prefix', '/gw']], cookie: true, target: '/mailboxes' }), []);
});

test('mox #151: proxy strips /admin/, the cookie does not come back → cookie-not-returned naming the cookie Path', () => {
  const f = run({ publicUrl: 'https://admin.example.com/admin/', headers: [['Host', 'admin.example.com'], ['X-Forwarded-For', '198.51.100.20'], ['X-Forwarded-Proto', 'https']], cookie: false, target: '/login' });
  const c = find(f, 'cookie-not-returned');
  assert.equal(c.severity, 'error');
  assert.equal(f[0]?.code, 'cookie-not-returned', 'errors first');
  assert.match(c.message, /did not send the __Secure-postern_admin cookie back \(Postern sets it with Path=\/admin, Secure, SameSite=Strict\)/);
  assert.match(c.message, /outside the cookie Path \/admin/);
  assert.match(c.fix, /proxy_pass http:\/\/127\.0\.0\.1:PORT;.*admin\.prefix_mode = "require"/);
  assert.match(c.fix, /X-Forwarded-Prefix \/admin/);
});

test('the browser on plain http while the public URL is https → scheme-mismatch and a cookie cause', () => {
  const f = run({ publicUrl: 'https://mail.example.com/', headers: [['Host', 'mail.example.com'], ['X-Forwarded-Proto', 'http']], cookie: false });
  assert.match(find(f, 'scheme-mismatch').message, /says the browser used http \(X-Forwarded-Proto\)/);
  assert.match(find(f, 'cookie-not-returned').message, /Secure and the proxy says the browser used http/);
  assert.match(find(f, 'cookie-not-returned').fix, /return 301 https/);
});

test('nginx without X-Forwarded-Proto → scheme-mismatch with the directive to add', () => {
  const s = find(run({ publicUrl: 'https://mail.example.com/', headers: [['Host', 'mail.example.com'], ['X-Forwarded-For', '198.51.100.20']] }), 'scheme-mismatch');
  assert.match(s.fix, /proxy_set_header X-Forwarded-Proto \$scheme;/);
  assert.match(s.fix, /Caddy and Traefik send X-Forwarded-Proto themselves/);
});

test('nginx\'s default Host (the upstream address) → host-mismatch with proxy_set_header Host $host', () => {
  const f = run({ publicUrl: 'https://mail.example.com/', headers: [['Host', '127.0.0.1:8880'], ['X-Forwarded-For', '198.51.100.20'], ['X-Forwarded-Proto', 'https']] });
  assert.deepEqual(codes(f), ['host-mismatch']);
  assert.match(f[0]?.message ?? '', /host 127\.0\.0\.1:8880 \(Host header\)/);
  assert.match(f[0]?.fix ?? '', /proxy_set_header Host \$host;/);
  const xfh = run({ publicUrl: 'https://mail.example.com/', headers: [...GOOD_NGINX, ['X-Forwarded-Host', 'admin.example.net']] });
  assert.match(find(xfh, 'host-mismatch').fix, /admin\.public_url = "https:\/\/admin\.example\.net\/"/);
  assert.deepEqual(run({ publicUrl: 'https://mail.example.com/', headers: [['Host', 'mail.example.com:443'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-For', '1.1.1.1']] }), [], 'the default port is the same host');
});

test('X-Forwarded-Prefix differs from the public prefix → prefix-mismatch', () => {
  const f = run({ publicUrl: 'https://mail.example.com/gw/', headers: [...GOOD_NGINX, ['X-Forwarded-Prefix', '/admin']], target: '/x' });
  assert.match(find(f, 'prefix-mismatch').message, /removed the prefix \/admin\/ .* prefix is \/gw\//);
  assert.match(find(f, 'prefix-mismatch').fix, /admin\.public_url = "https:\/\/mail\.example\.com\/admin\/"/);
  assert.match(find(f, 'outside-cookie-scope').message, /redirected it to https:\/\/mail\.example\.com\/gw\/x/);
});

test('SFTPGo-style: the proxy is not trusted → forwarded-untrusted, and why the scheme is wrong', () => {
  const f = run({ publicUrl: 'https://mail.example.com/', peer: '10.42.0.7', headers: GOOD_NGINX });
  assert.match(find(f, 'forwarded-untrusted').fix, /add "10\.42\.0\.7" \(or its network\) to admin\.trusted_proxies/);
  assert.match(find(f, 'scheme-mismatch').message, /not a trusted proxy/);
});

test('trust-everything (SFTPGo #1410) is flagged and points at the real proxy', () => {
  const f = run({ publicUrl: 'https://mail.example.com/', peer: '10.42.0.7', trust: ['0.0.0.0/0'], headers: GOOD_NGINX });
  const t = find(f, 'trust-everything');
  assert.equal(t.severity, 'warning');
  assert.match(t.fix, /\["10\.42\.0\.7"\]/);
});

test('no client address from a trusted proxy → client-ip-is-proxy (info)', () => {
  const f = run({ publicUrl: 'https://mail.example.com/', headers: [['Host', 'mail.example.com'], ['X-Forwarded-Proto', 'https']] });
  assert.deepEqual(f.map((x) => [x.code, x.severity]), [['client-ip-is-proxy', 'info']]);
  assert.match(f[0]?.fix ?? '', /\$proxy_add_x_forwarded_for/);
});

test('origin failures of a form post appear with their own codes', () => {
  const f = run({ publicUrl: 'https://mail.example.com/', headers: GOOD_NGINX, post: [['Origin', 'http://10.0.0.5:8880']] });
  assert.equal(find(f, 'origin-mismatch').severity, 'error');
  assert.equal(codes(run({ publicUrl: 'https://mail.example.com/', headers: GOOD_NGINX, post: [['Origin', 'https://mail.example.com']] })).length, 0);
});

test('forwarding warnings pass through as findings', () => {
  const f = run({ publicUrl: 'https://mail.example.com/', headers: [...GOOD_NGINX, ['X-Forwarded-Proto', 'http']] });
  assert.ok(codes(f).includes('conflicting-values'));
});

test('a plain-http public URL away from loopback is flagged; localhost is fine', () => {
  assert.ok(codes(run({ publicUrl: 'http://mail.example.com/', headers: [['Host', 'mail.example.com'], ['X-Forwarded-For', '1.1.1.1']] })).includes('public-url-not-https'));
  assert.deepEqual(run({ publicUrl: 'http://localhost:8880/', headers: [['Host', 'localhost:8880'], ['X-Forwarded-For', '1.1.1.1']] }), []);
  const https = run({ publicUrl: 'http://localhost:8880/', headers: [['Host', 'localhost:8880'], ['X-Forwarded-For', '1.1.1.1'], ['X-Forwarded-Proto', 'https']] });
  assert.match(find(https, 'scheme-mismatch').fix, /admin\.public_url = "https:\/\/localhost:8880\/"/);
});

test('a missing cookie with nothing else wrong still says where to look', () => {
  const c = find(run({ publicUrl: 'https://mail.example.com/gw/', headers: GOOD_NGINX, cookie: false, target: '/gw/' }), 'cookie-not-returned');
  assert.match(c.message, /nothing Postern can see explains it/);
  assert.match(c.fix, /proxy_cookie_path/);
});

test('the code registry matches the codes the sources can produce', () => {
  const dir = fileURLToPath(new URL('.', import.meta.url)).replace(`${join('dist', 'src')}`, 'src');
  const sources = readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts') && n !== 'finding-codes.ts');
  const text = sources.map((n) => readFileSync(join(dir, n), 'utf8')).join('\n');
  for (const code of Object.keys(FINDING_CODES)) assert.ok(text.includes(`'${code}'`), `${code} is registered but never produced`);
});
