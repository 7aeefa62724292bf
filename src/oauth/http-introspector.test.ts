/**
 * The introspection exchange against real local HTTP(S) servers started here: what Postern
 * sends (RFC 7662 §2.1: POST, form body, HTTP Basic client authentication) and every way the
 * endpoint can fail to answer, each a precise IntrospectionUnavailable that names neither the
 * token nor the client secret.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpIntrospector } from './http-introspector.js';
import { IntrospectionUnavailable, type Introspector } from './introspection.js';

const TOKEN = 'tok-SECRET.abc~/+=';
const CLIENT_SECRET = 'client s3cret:with%odd&chars';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
const seen: Seen[] = [];
/** What the server does with the next request. */
let behave: (res: http.ServerResponse, body: string) => void = (res) => res.end('{"active":false}');

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString('latin1')));
  req.on('end', () => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    behave(res, body);
  });
}

let server: http.Server;
let tlsServer: https.Server;
let folder: string;
let base: string;
let tlsBase: string;

function listen(s: http.Server | https.Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

function client(over: Partial<Parameters<typeof createHttpIntrospector>[0]> = {}): Introspector {
  return createHttpIntrospector({ url: `${base}/oauth2/introspect?realm=mail`, clientId: 'postern', clientSecret: Buffer.from(CLIENT_SECRET), timeoutMs: 1000, ...over });
}

/** The IntrospectionUnavailable message `p` rejects with; checks that no secret is in it. */
async function unavailable(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => assert.fail('expected IntrospectionUnavailable'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof IntrospectionUnavailable, String(err));
  assert.ok(!err.message.includes(TOKEN) && !err.message.includes('SECRET') && !err.message.includes('s3cret'), err.message);
  return err.message;
}

before(async () => {
  folder = mkdtempSync(join(tmpdir(), 'postern-oauth-'));
  // A self-signed certificate for 127.0.0.1 stands for a private CA.
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=idp.test', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { cwd: folder, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  server = http.createServer(handler);
  tlsServer = https.createServer({ cert: readFileSync(join(folder, 'cert.pem')), key: readFileSync(join(folder, 'key.pem')) }, handler);
  base = `http://127.0.0.1:${await listen(server)}`;
  tlsBase = `https://127.0.0.1:${await listen(tlsServer)}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
  tlsServer.closeAllConnections();
  tlsServer.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('the request', () => {
  test('POST token and hint, form-encoded, with HTTP Basic of the form-encoded id and secret (RFC 7662 §2.1, RFC 6749 §2.3.1)', async () => {
    behave = (res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ active: true, username: 'alice@example.com', scope: 'mail', exp: 1999999999, extra: { x: 1 } }));
    };
    const before = seen.length;
    const answer = await client().introspect(TOKEN);
    assert.deepEqual(answer, { active: true, username: 'alice@example.com', scope: 'mail', exp: 1999999999, extra: { x: 1 } });
    const r = seen[before]!;
    assert.equal(r.method, 'POST');
    assert.equal(r.url, '/oauth2/introspect?realm=mail');
    assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(r.headers.accept, 'application/json');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(r.body)), { token: TOKEN, token_type_hint: 'access_token' });
    const [scheme, b64] = r.headers.authorization!.split(' ');
    assert.equal(scheme, 'Basic');
    const [id, secret] = Buffer.from(b64!, 'base64').toString('utf8').split(':');
    assert.equal(id, 'postern');
    assert.equal(secret, 'client+s3cret%3Awith%25odd%26chars', 'form-encoded, so its ":" cannot split it');
    assert.equal(decodeURIComponent(secret!.replace(/\+/g, ' ')), CLIENT_SECRET);
  });

  test('https with ca_file: the private CA is trusted; without it the certificate is refused', async () => {
    behave = (res) => res.end('{"active":false}');
    const ca = readFileSync(join(folder, 'cert.pem'));
    assert.deepEqual(await client({ url: `${tlsBase}/introspect`, ca }).introspect(TOKEN), { active: false });
    const msg = await unavailable(client({ url: `${tlsBase}/introspect` }).introspect(TOKEN));
    assert.match(msg, new RegExp(`^introspection endpoint ${tlsBase}/introspect: self.signed certificate`));
  });
});

describe('no usable answer: IntrospectionUnavailable, saying what went wrong', () => {
  test('HTTP 500, and 401 with a hint about the client credentials', async () => {
    behave = (res) => {
      res.statusCode = 500;
      res.end(`{"error":"server_error","token":"${TOKEN}"}`);
    };
    assert.equal(await unavailable(client().introspect(TOKEN)), `introspection endpoint ${base}/oauth2/introspect: answered HTTP 500`);
    behave = (res) => {
      res.statusCode = 401;
      res.end('{"error":"invalid_client"}');
    };
    assert.equal(await unavailable(client().introspect(TOKEN)), `introspection endpoint ${base}/oauth2/introspect: answered HTTP 401 (check oauth.client_id and the client secret)`);
  });

  test('not JSON, and JSON that is not an RFC 7662 answer', async () => {
    behave = (res) => res.end(`<html>${TOKEN}</html>`);
    assert.match(await unavailable(client().introspect(TOKEN)), /: answered something that is not JSON$/);
    for (const body of ['{"active":"true"}', '{"username":"alice"}', '[]', 'null', '{"active":true,"exp":"soon"}']) {
      behave = (res) => res.end(body);
      assert.match(await unavailable(client().introspect(TOKEN)), /: answered JSON without a boolean "active" \(not an RFC 7662 response\)$/, body);
    }
  });

  test('too slow: the whole exchange has one deadline', async () => {
    behave = (res) => {
      res.write('{"active":');
      setTimeout(() => res.end('true}'), 600).unref();
    };
    const started = Date.now();
    assert.match(await unavailable(client({ timeoutMs: 200 }).introspect(TOKEN)), /: no answer within 200 ms \(oauth\.timeout_ms\)$/);
    assert.ok(Date.now() - started < 500, 'gave up at the deadline');
    behave = () => undefined; // never answers
    assert.match(await unavailable(client({ timeoutMs: 150 }).introspect(TOKEN)), /no answer within 150 ms/);
  });

  test('an answer too large to be one', async () => {
    behave = (res) => res.end(`{"active":false,"pad":"${'x'.repeat(70 * 1024)}"}`);
    assert.match(await unavailable(client().introspect(TOKEN)), /: answered more than 65536 bytes$/);
  });

  test('nobody listening', async () => {
    const closed = http.createServer();
    const port = await listen(closed);
    await new Promise((r) => closed.close(r));
    const msg = await unavailable(client({ url: `http://127.0.0.1:${port}/introspect` }).introspect(TOKEN));
    assert.match(msg, new RegExp(`^introspection endpoint http://127.0.0.1:${port}/introspect: connect ECONNREFUSED`));
  });
});
