/**
 * The HTTP auth transport against throwaway servers on port 0: what it sends, and what it
 * concludes from replies that come in pieces, never close, close early, never come, or from a
 * server that is not there (nginx-auth-http.md §1.1, §1.6).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoginAttempt } from '../../authclient/index.js';
import { httpAuthTransport, peerName, resolveAuthHttpUrl } from './auth-http.js';

const attempt: LoginAttempt = { protocol: 'imap', method: 'plain', user: Buffer.from('alice@example.com'), pass: Buffer.from('s3cret'), attempt: 1, clientIp: '192.0.2.7' };
const OK_REPLY = 'HTTP/1.0 200 OK\r\nAuth-Status: OK\r\nAuth-Server: 127.0.0.1\r\nAuth-Port: 143\r\n\r\n';

const servers: net.Server[] = [];
after(() => servers.forEach((s) => s.close()));

/** A server that runs `onRequest` with the request bytes once their head is complete. */
async function authServer(onRequest: (socket: net.Socket, request: string) => void, listenOn: number | string = 0): Promise<string> {
  const server = net.createServer((socket) => {
    let got = '';
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) onRequest(socket, got);
    });
    socket.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((resolve) => (typeof listenOn === 'string' ? server.listen(listenOn, resolve) : server.listen(listenOn, '127.0.0.1', resolve)));
  const addr = server.address();
  return typeof addr === 'string' ? `unix:${addr}:/auth` : `127.0.0.1:${(addr as net.AddressInfo).port}/auth`;
}

async function transport(url: string, timeoutMs = 2000) {
  return httpAuthTransport({ url: await resolveAuthHttpUrl(url), headers: [['X-Postern-Secret', 'abc']], timeoutMs });
}

test('sends nginx\'s request with the configured headers, and reads a reply that arrives in pieces', async () => {
  let request = '';
  const url = await authServer((socket, req) => {
    request = req;
    // One byte at a time, across several event-loop turns.
    let i = 0;
    const drip = (): void => {
      if (i < OK_REPLY.length) socket.write(OK_REPLY[i++]!, () => setImmediate(drip));
    };
    drip();
  });
  const reply = await (await transport(url)).ask(attempt);
  assert.equal(reply.kind, 'ok');
  assert.ok(reply.kind === 'ok' && reply.server === '127.0.0.1' && reply.port === 143);
  assert.match(request, /^GET \/auth HTTP\/1\.0\r\nHost: 127\.0\.0\.1\r\nAuth-Method: plain\r\nAuth-User: alice@example\.com\r\nAuth-Pass: s3cret\r\n/);
  assert.match(request, /\r\nX-Postern-Secret: abc\r\n\r\n$/);
});

test('a bearer attempt sends its method and token; an IMAP OK without Auth-Pass is then a success without a password', async () => {
  let request = '';
  const url = await authServer((socket, req) => {
    request = req;
    socket.end(OK_REPLY);
  });
  const bearer: LoginAttempt = { ...attempt, method: 'xoauth2', pass: Buffer.from('ya29.tok') };
  const reply = await (await transport(url)).ask(bearer);
  assert.match(request, /\r\nAuth-Method: xoauth2\r\nAuth-User: alice@example\.com\r\nAuth-Pass: ya29\.tok\r\n/);
  assert.ok(reply.kind === 'ok' && reply.password === undefined, JSON.stringify(reply));
  // The same reply to a password method is nginx's "did not send password" (§2.2) only without one.
  const ok = await (await transport(url)).ask({ ...attempt, method: 'external', pass: undefined });
  assert.equal(ok.kind === 'error' && ok.code, 'no-password');
});

test('acts at the empty line without waiting for the server to close', async () => {
  const url = await authServer((socket) => socket.write(OK_REPLY)); // never closes
  const t0 = Date.now();
  const reply = await (await transport(url, 5000)).ask(attempt);
  assert.equal(reply.kind, 'ok');
  assert.ok(Date.now() - t0 < 1000);
});

test('a server that closes before the empty line is a fatal error', async () => {
  const url = await authServer((socket) => socket.end('HTTP/1.0 200 OK\r\nAuth-Status: OK\r\n'));
  assert.deepEqual(await (await transport(url)).ask(attempt), { kind: 'error', code: 'closed-early' });
});

test('a server that never answers hits auth_http_timeout, a total deadline', async () => {
  // It trickles header lines forever: each read would re-arm a per-read timer, not this one.
  const url = await authServer((socket) => {
    socket.write('HTTP/1.0 200 OK\r\n');
    const t = setInterval(() => socket.write('X: y\r\n'), 50);
    socket.on('close', () => clearInterval(t));
  });
  const t0 = Date.now();
  const reply = await (await transport(url, 400)).ask(attempt);
  assert.equal(reply.kind, 'error');
  assert.ok(reply.kind === 'error' && (reply.code === 'timeout' || reply.code === 'too-large'), JSON.stringify(reply));
  assert.ok(Date.now() - t0 < 1500);
  const silent = await authServer(() => undefined);
  const r2 = await (await transport(silent, 300)).ask(attempt);
  assert.deepEqual(r2, { kind: 'error', code: 'timeout', log: `auth http server ${silent.replace('/auth', '')} timed out` });
});

test('connection refused is a connect failure naming the peer', async () => {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const reply = await (await transport(`127.0.0.1:${port}/auth`)).ask(attempt);
  assert.deepEqual(reply, { kind: 'error', code: 'connect-failed', log: `connect() to 127.0.0.1:${port} failed while in http auth state` });
});

test('a failure reply and a unix-socket auth server', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-auth-'));
  try {
    const url = await authServer((socket, req) => {
      assert.match(req, /\r\nHost: localhost\r\n/);
      socket.end('HTTP/1.0 200 OK\r\nAuth-Status: Invalid login or password\r\nAuth-Wait: 3\r\n\r\n');
    }, join(dir, 'auth.sock'));
    const reply = await (await transport(url)).ask(attempt);
    assert.equal(reply.kind, 'fail');
    assert.ok(reply.kind === 'fail' && reply.message.toString() === 'Invalid login or password' && reply.waitSeconds === 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('host names are resolved once; peers are named as nginx names them', async () => {
  const url = await resolveAuthHttpUrl('http://localhost:9/auth?x=1');
  assert.equal(url.peer.kind, 'ip');
  assert.equal(url.host, 'localhost');
  assert.equal(url.uri, '/auth?x=1');
  assert.equal(peerName({ kind: 'ip', family: 6, address: '::1', port: 80 }), '[::1]:80');
  assert.equal(peerName({ kind: 'unix', path: '/run/a.sock' }), 'unix:/run/a.sock');
  await assert.rejects(resolveAuthHttpUrl('127.0.0.1:99999/auth'), /invalid port/);
});
