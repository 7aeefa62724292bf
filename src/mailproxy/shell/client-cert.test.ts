/**
 * Client certificates through a real listener over loopback (implicit TLS and STARTTLS), with
 * the shell's fake POP3 session: what the auth attempt carries in each `tls_verify_client`
 * mode, and nginx's refusal lines (ngx_mail_verify_cert) for a missing or failed certificate.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import tls from 'node:tls';
import type { AuthReply, LoginAttempt } from '../../authclient/index.js';
import { mailProxySchema } from '../../config/mail-proxy.js';
import { createLogger } from '../../log/logger.js';
import { CA_CERT_PEM, CLIENT_CERT_FACTS, CLIENT_CERT_PEM, CLIENT_KEY_PEM, SELF_SIGNED_KEY_PEM, SELF_SIGNED_PEM } from '../client-cert/testdata/client-cert.js';
import type { VerifyClient } from '../client-cert/index.js';
import { ConnectionCap, MailListener } from './listener.js';
import { backendOptions, connectionLimits } from './settings.js';
import { fakeSession, LineClient } from './test-support.js';
import { SERVER_CERT, SERVER_KEY, TEST_CA } from './testdata/certs.js';

const log = createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() }));
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SELF = { cert: SELF_SIGNED_PEM, key: SELF_SIGNED_KEY_PEM };
const SIGNED = { cert: CLIENT_CERT_PEM, key: CLIENT_KEY_PEM };

/** A POP3 listener verifying client certificates against the test CA; it records the attempts and refuses them all. */
async function start(tlsMode: 'implicit' | 'starttls', verify: VerifyClient, passCert = false): Promise<{ port: number; asked: LoginAttempt[] }> {
  const mp = mailProxySchema.parse({ tls_cert_file: 'x', tls_key_file: 'y', listeners: [{ protocol: 'pop3', port: 0, tls: tlsMode }] });
  const config = mp.listeners[0]!;
  const asked: LoginAttempt[] = [];
  const listener = new MailListener({
    config,
    newSession: (facts) => fakeSession(facts),
    transport: { ask: (a) => (asked.push(a), Promise.resolve<AuthReply>({ kind: 'fail', message: Buffer.from('no'), waitSeconds: 0, log: 'x', login: Buffer.from(a.user), password: undefined })) },
    secureContext: tls.createSecureContext({ cert: SERVER_CERT, key: SERVER_KEY, ca: [CA_CERT_PEM] }),
    clientCerts: { verify, passCert, protocol: 'pop3' },
    backend: backendOptions(config, mp, undefined),
    limits: connectionLimits(mp),
    passErrorMessage: false,
    trusted: [],
    cap: new ConnectionCap(10),
    log,
  });
  const { port } = await listener.listen();
  cleanups.push(() => listener.close(0));
  return { port, asked };
}

/** Implicit TLS, presenting `cert` (or none). */
async function connect(port: number, cert?: { cert: string; key: string }): Promise<LineClient> {
  return track(await LineClient.connectTls(port, TEST_CA, cert));
}

function track(c: LineClient): LineClient {
  cleanups.push(() => c.close());
  return c;
}

async function login(c: LineClient, asked: LoginAttempt[]): Promise<LoginAttempt> {
  c.send('USER u\r\nPASS p\r\n');
  await c.waitFor(/^-ERR/);
  assert.equal(asked.length, 1);
  return asked[0]!;
}

test('optional_no_ca: a self-signed certificate is asked about as FAILED, with its details and PEM', async () => {
  const { port, asked } = await start('implicit', 'optional_no_ca', true);
  const c = await connect(port, SELF);
  await c.waitFor(/^\+OK fake ready/);
  const t = (await login(c, asked)).tls;
  assert.equal(t?.verify, 'FAILED:self-signed certificate');
  assert.equal(t?.subject, 'CN=self signed,O=Example Org');
  assert.equal(t?.issuer, 'CN=self signed,O=Example Org');
  assert.match(t?.fingerprint ?? '', /^[0-9a-f]{40}$/);
  assert.equal(t?.cert, SELF_SIGNED_PEM);
});

test('on: a certificate from the CA is SUCCESS with its subject, issuer, serial and fingerprint; no PEM unless passed', async () => {
  const { port, asked } = await start('implicit', 'on');
  const c = await connect(port, SIGNED);
  await c.waitFor(/^\+OK fake ready/);
  const t = (await login(c, asked)).tls;
  assert.deepEqual({ verify: t?.verify, subject: t?.subject, issuer: t?.issuer, serial: t?.serial, fingerprint: t?.fingerprint }, { verify: 'SUCCESS', ...CLIENT_CERT_FACTS });
  assert.equal(t?.cert, undefined);
  assert.ok(t?.protocol && t.cipher, 'protocol and cipher still there');
});

test('on: no certificate gets "No required SSL certificate" instead of the greeting, and the connection ends', async () => {
  const { port, asked } = await start('implicit', 'on');
  const c = await connect(port);
  await c.waitFor(/^-ERR No required SSL certificate$/);
  assert.ok(await c.waitClosed());
  assert.deepEqual(c.lines, ['-ERR No required SSL certificate']);
  assert.equal(asked.length, 0);
});

test('optional: a self-signed certificate gets "SSL certificate error"; no certificate is Verify NONE', async () => {
  const { port, asked } = await start('implicit', 'optional');
  const bad = await connect(port, SELF);
  await bad.waitFor(/^-ERR SSL certificate error$/);
  assert.ok(await bad.waitClosed());
  const none = await connect(port);
  await none.waitFor(/^\+OK fake ready/);
  assert.deepEqual((await login(none, asked)).tls?.verify, 'NONE');
});

test('off: no certificate is asked for and the attempt has no Verify', async () => {
  const { port, asked } = await start('implicit', 'off');
  const c = await connect(port, SELF);
  await c.waitFor(/^\+OK fake ready/);
  const t = (await login(c, asked)).tls;
  assert.equal(t?.verify, undefined);
  assert.equal(t?.subject, undefined);
});

test('STARTTLS: the certificate is asked for in that handshake and judged the same way', async () => {
  const { port, asked } = await start('starttls', 'on');
  const good = track(await LineClient.connect(port));
  await good.waitFor(/^\+OK fake ready/);
  good.send('STLS\r\n');
  await good.waitFor(/^\+OK begin TLS$/);
  await good.startTls(TEST_CA, SIGNED);
  assert.equal((await login(good, asked)).tls?.verify, 'SUCCESS');
  const none = track(await LineClient.connect(port));
  await none.waitFor(/^\+OK fake ready/);
  none.send('STLS\r\n');
  await none.waitFor(/^\+OK begin TLS$/);
  await none.startTls(TEST_CA);
  await none.waitFor(/^-ERR No required SSL certificate$/);
  assert.ok(await none.waitClosed());
});
