/**
 * The shell end to end over loopback, with a fake session (test-support.ts) so every action kind
 * is exercised without the real protocol state machines: the action loop and its pauses, the
 * timers, STARTTLS and implicit TLS, the PROXY protocol from trusted and untrusted peers, the
 * backend login and the pipe, backend failures, the connection cap and shutdown.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import type { AuthReply, LoginAttempt } from '../../authclient/index.js';
import { mailProxySchema } from '../../config/mail-proxy.js';
import { createLogger } from '../../log/logger.js';
import { parseNetworks } from '../../net/cidr.js';
import { encodeV1, encodeV2 } from '../../proxyproto/index.js';
import type { AuthTransport } from './auth-transport.js';
import { ConnectionCap, MailListener } from './listener.js';
import { backendOptions, connectionLimits } from './settings.js';
import { fakePop3Backend, fakeSession, LineClient, serverContext, type FakeBackend } from './test-support.js';
import { TEST_CA } from './testdata/certs.js';

const logLines: Array<Record<string, unknown>> = [];
const log = createLogger(
  'debug',
  new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(l));
      cb();
    },
  }),
);

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Answers every attempt with `reply(attempt)`, after `delayMs`; records the attempts. */
function fakeAuth(reply: (a: LoginAttempt) => AuthReply, delayMs = 0): AuthTransport & { asked: LoginAttempt[] } {
  const asked: LoginAttempt[] = [];
  return {
    asked,
    ask: (a) => {
      asked.push(a);
      return new Promise((resolve) => setTimeout(() => resolve(reply(a)), delayMs));
    },
  };
}

const okTo = (port: number) => (a: LoginAttempt): AuthReply => ({ kind: 'ok', server: '127.0.0.1', family: 4, port, login: Buffer.from(a.user), password: a.pass ? Buffer.from(a.pass) : undefined });
const failWith = (waitSeconds: number) => (a: LoginAttempt): AuthReply => ({ kind: 'fail', message: Buffer.from('Invalid login'), waitSeconds, log: 'x', login: Buffer.from(a.user), password: undefined });

interface Options {
  mail?: Record<string, unknown>;
  listener?: Record<string, unknown>;
  auth?: AuthTransport;
  cap?: number;
}

async function start(o: Options = {}): Promise<{ port: number; listener: MailListener; auth: AuthTransport }> {
  const mp = mailProxySchema.parse({ tls_cert_file: 'x', tls_key_file: 'y', ...o.mail, listeners: [{ protocol: 'pop3', port: 0, ...o.listener }] });
  const config = mp.listeners[0]!;
  const auth = o.auth ?? fakeAuth(okTo(1));
  const listener = new MailListener({
    config,
    newSession: (facts) => fakeSession(facts),
    transport: auth,
    ...(config.tls !== 'none' ? { secureContext: serverContext() } : {}),
    backend: backendOptions(config, mp, config.backend_tls_ca_file === 'ca.pem' ? Buffer.from(TEST_CA) : undefined),
    limits: connectionLimits(mp),
    passErrorMessage: mp.pass_error_message,
    trusted: parseNetworks(mp.trusted_proxies),
    cap: new ConnectionCap(o.cap ?? mp.max_connections),
    log,
  });
  const { port } = await listener.listen();
  cleanups.push(() => listener.close(0));
  return { port, listener, auth };
}

async function backend(opts: Parameters<typeof fakePop3Backend>[0] = {}): Promise<FakeBackend> {
  const b = await fakePop3Backend(opts);
  cleanups.push(() => b.close());
  return b;
}

async function client(port: number): Promise<LineClient> {
  const c = await LineClient.connect(port);
  cleanups.push(() => c.close());
  return c;
}

test('logs in at the backend, passes the pipelined command on, then pipes both ways', async () => {
  const b = await backend();
  const { port } = await start({ auth: fakeAuth(okTo(b.port)) });
  const c = await client(port);
  await c.waitFor(/^\+OK fake ready for 127\.0\.0\.1$/);
  c.send('USER alice\r\n');
  await c.waitFor(/^\+OK$/);
  c.send('PASS right\r\nNOOP early\r\n');
  await c.waitFor(/^\+OK logged in$/);
  await c.waitFor(/^\+OK echo NOOP early$/);
  c.send('STAT\r\n');
  await c.waitFor(/^\+OK echo STAT$/);
  c.send('QUIT\r\n');
  await c.waitFor(/^\+OK bye$/);
  assert.ok(await c.waitClosed(), 'the backend\'s close reaches the client');
  assert.deepEqual(b.received, ['USER alice', 'PASS right', 'NOOP early', 'STAT', 'QUIT']);
});

test('input waits while the auth server is asked and during Auth-Wait; the idle timer is suspended meanwhile', async () => {
  const { port } = await start({ mail: { timeout_seconds: 1 }, auth: fakeAuth(failWith(1), 1200) });
  const c = await client(port);
  await c.waitFor(/^\+OK fake/);
  const t0 = Date.now();
  c.send('USER alice\r\nPASS wrong\r\n');
  await new Promise((r) => setTimeout(r, 100));
  c.send('WHO\r\n'); // sent during the auth request: read only after the failure line
  await c.waitFor(/^\+OK 127\.0\.0\.1 clear$/, 5000);
  assert.ok(Date.now() - t0 >= 2100, 'auth (1.2 s) then Auth-Wait (1 s), with a 1 s idle timeout, and still open');
  const fail = c.lines.indexOf('-ERR Invalid login');
  assert.ok(fail !== -1 && fail < c.lines.indexOf('+OK 127.0.0.1 clear'), JSON.stringify(c.lines));
});

test('the idle timeout closes a silent client; the login time limit closes a slow drip', async () => {
  const { port } = await start({ mail: { timeout_seconds: 1, login_timeout_seconds: 2 } });
  const silent = await client(port);
  const t0 = Date.now();
  assert.ok(await silent.waitClosed(3000));
  assert.ok(Date.now() - t0 >= 900);
  const drip = await client(port);
  const t1 = Date.now();
  const timer = setInterval(() => drip.send('L'), 300);
  cleanups.push(() => clearInterval(timer));
  assert.ok(await drip.waitClosed(4000));
  assert.ok(Date.now() - t1 >= 1900 && Date.now() - t1 < 3500, String(Date.now() - t1));
  assert.ok(logLines.some((l) => l.event === 'client-timeout' && String(l.msg).includes('login time limit')));
});

test('sleep delays the following actions; log actions reach the log with protocol and client address', async () => {
  const { port } = await start();
  const c = await client(port);
  await c.waitFor(/^\+OK fake/);
  const t0 = Date.now();
  c.send('SLEEP 1\r\nLOG hello there\r\n');
  await c.waitFor(/^\+OK logged hello there$/);
  assert.ok(Date.now() - t0 >= 1000);
  assert.ok(c.lines.indexOf('+OK slept') < c.lines.indexOf('+OK logged hello there'));
  const line = logLines.find((l) => l.msg === 'hello there');
  assert.equal(line?.protocol, 'pop3');
  assert.equal(line?.client_ip, '127.0.0.1');
});

test('STARTTLS upgrades the client connection and the session learns the TLS facts', async () => {
  const auth = fakeAuth(failWith(0));
  const { port } = await start({ listener: { tls: 'starttls' }, auth });
  const c = await client(port);
  await c.waitFor(/^\+OK fake/);
  c.send('STLS\r\n');
  await c.waitFor(/^\+OK begin TLS$/);
  await c.startTls(TEST_CA);
  c.send('WHO\r\n');
  await c.waitFor(/^\+OK 127\.0\.0\.1 TLSv1\.3$/);
  c.send('USER a\r\nPASS b\r\n');
  await c.waitFor(/^-ERR Invalid login$/);
  assert.equal(auth.asked[0]?.tls?.protocol, 'TLSv1.3');
  assert.match(auth.asked[0]?.tls?.cipher ?? '', /^TLS_/);
});

test('clear-text bytes after STARTTLS never become commands: the handshake fails and the connection closes', async () => {
  const { port } = await start({ listener: { tls: 'starttls' } });
  const c = await client(port);
  await c.waitFor(/^\+OK fake/);
  c.send('STLS\r\n');
  await c.waitFor(/^\+OK begin TLS$/);
  c.send('WHO\r\n');
  assert.ok(await c.waitClosed());
  assert.ok(!c.lines.some((l) => l.startsWith('+OK 127')), JSON.stringify(c.lines));
});

test('implicit TLS: the greeting comes over TLS and the session knows it from the start', async () => {
  const { port } = await start({ listener: { tls: 'implicit' } });
  const c = await LineClient.connectTls(port, TEST_CA);
  cleanups.push(() => c.close());
  await c.waitFor(/^\+OK fake/);
  c.send('WHO\r\n');
  await c.waitFor(/^\+OK 127\.0\.0\.1 TLSv1\.3$/);
});

function v1Header(src: string): Buffer {
  const h = encodeV1({ family: 'ipv4', source: { address: src, port: 40000 }, destination: { address: '198.51.100.1', port: 110 } });
  if (!h.ok) throw new Error(h.error.detail);
  return h.value;
}

test('PROXY protocol: believed from trusted networks, required there, refused from anyone else', async () => {
  const trusted = await start({ mail: { trusted_proxies: ['127.0.0.0/8'] }, listener: { proxy_protocol: true } });
  const c = await client(trusted.port);
  const h = v1Header('203.0.113.5');
  c.send(`${h.toString('latin1')}WHO\r\n`);
  await c.waitFor(/^\+OK fake ready for 203\.0\.113\.5$/);
  await c.waitFor(/^\+OK 203\.0\.113\.5 clear$/);
  const v2 = encodeV2({ family: 'ipv6', source: { address: '2001:db8::7', port: 1 }, destination: { address: '2001:db8::1', port: 110 } });
  assert.ok(v2.ok);
  const c2 = await client(trusted.port);
  c2.send(v2.value);
  await c2.waitFor(/^\+OK fake ready for 2001:db8::7$/);
  const missing = await client(trusted.port);
  missing.send('WHO\r\n');
  assert.ok(await missing.waitClosed());
  assert.equal(missing.lines.length, 0, 'no greeting without the header');

  const untrusted = await start({ mail: { trusted_proxies: ['10.0.0.0/8'] }, listener: { proxy_protocol: true } });
  const spoof = await client(untrusted.port);
  await spoof.waitFor(/^\+OK fake ready for 127\.0\.0\.1$/);
  spoof.send(h.subarray(0, 3)); // split: decided only once enough bytes came
  await new Promise((r) => setTimeout(r, 50));
  spoof.send(h.subarray(3));
  assert.ok(await spoof.waitClosed());
  assert.ok(logLines.some((l) => l.event === 'proxy-header-refused'));
  const plain = await client(untrusted.port);
  plain.send('WHO\r\n');
  await plain.waitFor(/^\+OK 127\.0\.0\.1 clear$/);
});

test('a PROXY header to the backend carries the client\'s address (v1 and v2)', async () => {
  for (const version of ['v1', 'v2'] as const) {
    const b = await backend({ proxyHeader: true });
    const { port } = await start({ mail: { trusted_proxies: ['127.0.0.1'] }, listener: { proxy_protocol: true, backend_proxy_protocol: version }, auth: fakeAuth(okTo(b.port)) });
    const c = await client(port);
    c.send(`${v1Header('203.0.113.9').toString('latin1')}USER u\r\nPASS right\r\n`);
    await c.waitFor(/^\+OK logged in$/);
    const hdr = b.headers[0];
    assert.equal(hdr?.version, version === 'v1' ? 1 : 2);
    assert.ok(hdr && hdr.family === 'ipv4' && hdr.source.address === '203.0.113.9' && hdr.source.port === 40000 && hdr.destination.port === 110, JSON.stringify(hdr));
  }
});

test('a backend refusal gives the internal error, or the backend\'s own line with pass_error_message', async () => {
  const b = await backend({ password: 'other' });
  for (const [pass, expected] of [
    [false, '-ERR internal server error'],
    [true, '-ERR [AUTH] backend says no'],
  ] as const) {
    const { port } = await start({ mail: { pass_error_message: pass }, auth: fakeAuth(okTo(b.port)) });
    const c = await client(port);
    c.send('USER u\r\nPASS right\r\n');
    await c.waitFor(new RegExp(`^${expected.replace(/[[\]]/g, '\\$&')}$`));
    assert.ok(await c.waitClosed());
  }
  assert.ok(logLines.some((l) => l.event === 'backend-failed' && String(l.detail).includes('the backend refused the login')));
});

test('a backend that is down, or sends an endless line, is an internal error', async () => {
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const downPort = (closed.address() as net.AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const { port } = await start({ auth: fakeAuth(okTo(downPort)) });
  const c = await client(port);
  c.send('USER u\r\nPASS p\r\n');
  await c.waitFor(/^-ERR internal server error$/);

  const flood = net.createServer((s) => s.write(Buffer.alloc(5000, 0x41)));
  await new Promise<void>((r) => flood.listen(0, '127.0.0.1', r));
  cleanups.push(() => flood.close());
  const f = await start({ auth: fakeAuth(okTo((flood.address() as net.AddressInfo).port)) });
  const c2 = await client(f.port);
  c2.send('USER u\r\nPASS p\r\n');
  await c2.waitFor(/^-ERR internal server error$/);
  assert.ok(logLines.some((l) => String(l.detail).includes('a line longer than 4096 bytes')));
});

test('TLS to the backend, implicit and STARTTLS, verified against the CA; a wrong CA is refused', async () => {
  for (const mode of ['implicit', 'starttls'] as const) {
    const b = await backend({ tls: mode });
    const { port } = await start({ listener: { backend_tls: mode, backend_tls_ca_file: 'ca.pem' }, auth: fakeAuth(okTo(b.port)) });
    const c = await client(port);
    c.send('USER u\r\nPASS right\r\nNOOP\r\n');
    await c.waitFor(/^\+OK echo NOOP$/);
    assert.deepEqual(b.received, mode === 'starttls' ? ['STLS', 'USER u', 'PASS right', 'NOOP'] : ['USER u', 'PASS right', 'NOOP']);
  }
  const b = await backend({ tls: 'implicit' });
  // Node's bundled roots never signed the test CA.
  const { port } = await start({ listener: { backend_tls: 'implicit', backend_tls_ca_file: 'bundled' }, auth: fakeAuth(okTo(b.port)) });
  const c = await client(port);
  c.send('USER u\r\nPASS right\r\n');
  await c.waitFor(/^-ERR internal server error$/);
  assert.ok(logLines.some((l) => l.event === 'backend-failed' && String(l.detail).includes('TLS')));
  const named = await start({ listener: { backend_tls: 'implicit', backend_tls_ca_file: 'ca.pem', backend_tls_servername: 'not-this.test' }, auth: fakeAuth(okTo(b.port)) });
  const c2 = await client(named.port);
  c2.send('USER u\r\nPASS right\r\n');
  await c2.waitFor(/^-ERR internal server error$/);
});

test('the connection cap closes connections beyond it at once', async () => {
  const { port } = await start({ cap: 1 });
  const first = await client(port);
  await first.waitFor(/^\+OK fake/);
  const second = await client(port);
  assert.ok(await second.waitClosed());
  assert.equal(second.lines.length, 0);
  first.close();
  await new Promise((r) => setTimeout(r, 100));
  const third = await client(port);
  await third.waitFor(/^\+OK fake/);
});

test('shutdown closes connections not logged in at once and lets piped ones finish within the grace period', async () => {
  const b = await backend();
  const { port, listener } = await start({ auth: fakeAuth(okTo(b.port)) });
  const waiting = await client(port);
  await waiting.waitFor(/^\+OK fake/);
  const piped = await client(port);
  piped.send('USER u\r\nPASS right\r\n');
  await piped.waitFor(/^\+OK logged in$/);
  const t0 = Date.now();
  const closing = listener.close(600);
  assert.ok(await waiting.waitClosed(300), 'not logged in: closed at once');
  piped.send('STILL HERE\r\n');
  await piped.waitFor(/^\+OK echo STILL HERE$/);
  await closing;
  assert.ok(Date.now() - t0 >= 550);
  assert.ok(await piped.waitClosed(500), 'cut after the grace period');
  await assert.rejects(LineClient.connect(port), 'no longer accepting');
});
