/**
 * End to end: Postern's own mail proxy. One `postern serve` is both the auth server (in-process)
 * and the proxy in front of a real Dovecot and an SMTP sink; real clients (Python's imaplib,
 * poplib, smtplib, curl, swaks) log in through it in clear text, with STARTTLS and with implicit
 * TLS. Then: the HTTP transport against an auth server that is not Postern (nginx answering a
 * static reply), TLS to a Dovecot with TLS verified against the test CA (and refused with
 * another CA), and hostile clients, each followed by a good login.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  freePorts,
  makeTestCa,
  rawSession,
  runCurl,
  runImapClient,
  runPop3Client,
  runSmtpClient,
  runSwaks,
  startDovecot,
  startNginx,
  startSmtpSink,
  type DovecotHandle,
  type NginxHandle,
  type SmtpSinkHandle,
  type TestCa,
} from '../harness/index.js';
import { startPostern, waitForLog, type PosternHandle } from '../harness/postern.js';
import { hashPassword } from '../../src/passwords/index.js';

let dovecot: DovecotHandle;
let tlsDovecot: DovecotHandle;
let sink: SmtpSinkHandle;
let nginx: NginxHandle;
let postern: PosternHandle;
let ca: TestCa;
let otherCa: TestCa;

const LISTENERS = ['imap', 'imaps', 'pop3', 'submission', 'mx', 'viaHttp', 'viaHttpFail', 'backendStarttls', 'backendImplicit', 'backendWrongCa'] as const;
type ListenerName = (typeof LISTENERS)[number];
const port: Record<ListenerName, number> = {} as Record<ListenerName, number>;

function message(subject: string): string {
  return `From: test@example.com\r\nTo: x@example.com\r\nSubject: ${subject}\r\n\r\nbody\r\n`;
}

/** One `[[mail_proxy.listeners]]` table. */
function listener(name: ListenerName, fields: Record<string, string | boolean>): string {
  const lines = Object.entries(fields).map(([k, v]) => `${k} = ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  return ['[[mail_proxy.listeners]]', `port = ${port[name]}`, ...lines].join('\n');
}

before(async () => {
  ca = makeTestCa();
  otherCa = makeTestCa('/O=Elsewhere/CN=Another CA');
  const proxyCert = ca.issue('proxy', '/CN=localhost');
  const dovecotCert = ca.issue('dovecot', '/CN=dovecot.test');
  [dovecot, tlsDovecot, sink] = await Promise.all([
    startDovecot({
      users: [
        { user: 'alice@example.com', password: 'alice secret' },
        { user: 'bob@example.com', password: 'bob secret' },
      ],
    }),
    startDovecot({
      label: 'dovecot-tls',
      users: [
        { user: 'tom@starttls.test', password: 'tom secret' },
        { user: 'ian@imaps.test', password: 'ian secret' },
      ],
      ssl: { cert: dovecotCert.cert, key: dovecotCert.key },
    }),
    startSmtpSink({ xclient: true, name: 'sink.test' }),
  ]);
  dovecot.deliver('alice@example.com', message('for alice through the proxy'));
  dovecot.deliver('bob@example.com', message('for bob through the proxy'));
  tlsDovecot.deliver('tom@starttls.test', message('for tom over STARTTLS'));
  tlsDovecot.deliver('ian@imaps.test', message('for ian over implicit TLS'));

  // An auth server that is not Postern: nginx's http block with fixed replies.
  nginx = await startNginx({
    listeners: [],
    staticAuth: {
      routes: [
        { path: '/ok', port: dovecot.ports.imap },
        { path: '/fail', status: 'Nope, not today', headers: { 'Auth-Wait': '1' } },
      ],
    },
  });

  const ports = await freePorts(LISTENERS.length);
  LISTENERS.forEach((name, i) => (port[name] = ports[i]!));
  const tlsBackend = { backend_tls_ca_file: ca.ca.cert, backend_tls_servername: 'dovecot.test' };
  const toml = [
    '[mail_proxy]',
    'enabled = true',
    'server_name = "proxy.test"',
    `tls_cert_file = ${JSON.stringify(proxyCert.cert)}`,
    `tls_key_file = ${JSON.stringify(proxyCert.key)}`,
    'timeout_seconds = 10',
    'login_timeout_seconds = 5',
    'shutdown_grace_seconds = 1',
    listener('imap', { protocol: 'imap', tls: 'starttls' }),
    listener('imaps', { protocol: 'imap', tls: 'implicit' }),
    listener('pop3', { protocol: 'pop3', tls: 'starttls' }),
    listener('submission', { protocol: 'smtp', tls: 'starttls' }),
    listener('mx', { protocol: 'smtp-mx' }),
    listener('viaHttp', { protocol: 'imap', auth_http: nginx.staticAuthUrl('/ok') }),
    listener('viaHttpFail', { protocol: 'imap', auth_http: nginx.staticAuthUrl('/fail') }),
    listener('backendStarttls', { protocol: 'imap', backend_tls: 'starttls', ...tlsBackend }),
    listener('backendImplicit', { protocol: 'imap', backend_tls: 'implicit', ...tlsBackend }),
    listener('backendWrongCa', { protocol: 'imap', backend_tls: 'starttls', backend_tls_ca_file: otherCa.ca.cert, backend_tls_servername: 'dovecot.test' }),
  ].join('\n\n');

  postern = await startPostern({
    env: { POSTERN_AUTH_FAILURE_WAIT_SECONDS: '1', POSTERN_DEFENCE_PENALTY_MAX_SECONDS: '1' },
    mailProxy: toml,
    setup: async (dir) => {
      await dir.addDomain('example.com');
      await dir.addDomain('starttls.test');
      await dir.addDomain('imaps.test');
      await dir.addBackend({ name: 'dovecot', host: '127.0.0.1', ports: { imap: dovecot.ports.imap, pop3: dovecot.ports.pop3, smtp: sink.port, mx: sink.port } });
      await dir.addBackend({ name: 'dovecot-starttls', host: '127.0.0.1', ports: { imap: tlsDovecot.ports.imap } });
      await dir.addBackend({ name: 'dovecot-imaps', host: '127.0.0.1', ports: { imap: tlsDovecot.ports.imaps } });
      await dir.setRoute('default', null, 'dovecot');
      await dir.setRoute('domain', 'starttls.test', 'dovecot-starttls');
      await dir.setRoute('domain', 'imaps.test', 'dovecot-imaps');
      for (const [address, password] of [
        ['alice@example.com', 'alice secret'],
        ['bob@example.com', 'bob secret'],
        ['tom@starttls.test', 'tom secret'],
        ['ian@imaps.test', 'ian secret'],
      ] as const) {
        await dir.addMailbox({ address, passwordHash: await hashPassword(password) });
      }
    },
  });
});

after(async () => {
  await Promise.allSettled([postern?.stop(), nginx?.stop()]);
  await Promise.allSettled([dovecot?.stop(), tlsDovecot?.stop(), sink?.stop()]);
  ca?.remove();
  otherCa?.remove();
});

describe('IMAP through Postern\'s proxy', () => {
  test('LOGIN and AUTHENTICATE PLAIN, then SELECT INBOX and FETCH the delivered message', async () => {
    for (const mech of ['login', 'plain'] as const) {
      const res = await runImapClient({ port: port.imap, user: 'alice@example.com', password: 'alice secret', mech, fetch: true });
      assert.ok(res.ok, `${mech}: ${JSON.stringify(res.transcript)}`);
      assert.equal(res.greeting, '* OK IMAP4 ready');
      assert.deepEqual(res.messages?.map((m) => m.subject), ['for alice through the proxy']);
    }
    const d = await postern.waitForDecision((l) => l.user === 'alice@example.com' && l.protocol === 'imap');
    assert.equal(d.result, 'ok');
    assert.equal(d.client_ip, '127.0.0.1');
  });

  test('STARTTLS and implicit TLS, the certificate checked against the test CA', async () => {
    const starttls = await runImapClient({ port: port.imap, tls: 'starttls', cafile: ca.ca.cert, user: 'alice@example.com', password: 'alice secret', fetch: true });
    assert.ok(starttls.ok, JSON.stringify(starttls.transcript));
    assert.ok(starttls.transcript.some((l) => /^S: \* CAPABILITY .* STARTTLS/.test(l)), JSON.stringify(starttls.transcript));
    const implicit = await runImapClient({ port: port.imaps, tls: 'implicit', cafile: ca.ca.cert, user: 'alice@example.com', password: 'alice secret', fetch: true });
    assert.ok(implicit.ok, JSON.stringify(implicit.transcript));
    assert.deepEqual(implicit.messages?.map((m) => m.subject), ['for alice through the proxy']);
    const curl = await runCurl(['-sS', '--max-time', '10', '--cacert', ca.ca.cert, '--resolve', `localhost:${port.imaps}:127.0.0.1`, `imaps://localhost:${port.imaps}/`, '-u', 'alice@example.com:alice secret']);
    assert.equal(curl.code, 0, curl.stderr);
    assert.match(curl.stdout, /INBOX/);
    const curlStarttls = await runCurl(['-sS', '--max-time', '10', '--ssl-reqd', '--cacert', ca.ca.cert, '--resolve', `localhost:${port.imap}:127.0.0.1`, `imap://localhost:${port.imap}/`, '-u', 'alice@example.com:alice secret']);
    assert.equal(curlStarttls.code, 0, curlStarttls.stderr);
  });

  test('a wrong password gets the failure line after Auth-Wait, and the client may retry on the same connection', async () => {
    const s = await rawSession(port.imap);
    try {
      await s.expect(/^\* OK/);
      assert.equal(await s.command('a1 LOGIN alice@example.com wrong', /^a1 /, 8000), 'a1 NO [AUTHENTICATIONFAILED] Invalid login or password');
      assert.match(await s.command('a2 LOGIN alice@example.com "alice secret"', /^a2 /, 8000), /^a2 OK/);
      assert.match(await s.command('a3 SELECT INBOX', /^a3 /), /^a3 OK/);
    } finally {
      s.close();
    }
    await postern.waitForDecision((d) => d.reason === 'bad-credentials' && d.user === 'alice@example.com');
  });
});

describe('POP3 and SMTP through Postern\'s proxy', () => {
  test('POP3 USER/PASS retrieves the message, in clear text and after STLS', async () => {
    for (const tls of ['none', 'starttls'] as const) {
      const res = await runPop3Client({ port: port.pop3, tls, cafile: ca.ca.cert, user: 'bob@example.com', password: 'bob secret', retr: 1 });
      assert.ok(res.ok, `${tls}: ${JSON.stringify(res.transcript)}`);
      assert.equal(res.retr?.subject, 'for bob through the proxy');
    }
    const wrong = await runPop3Client({ port: port.pop3, user: 'bob@example.com', password: 'nope' });
    assert.equal(wrong.login?.reply, '-ERR [AUTH] Invalid login or password');
  });

  test('submission with AUTH PLAIN and LOGIN reaches the sink, with XCLIENT naming the client and the user', async () => {
    const before = sink.messages.length;
    for (const mech of ['PLAIN', 'LOGIN']) {
      const res = await runSwaks(['--server', `127.0.0.1:${port.submission}`, '--auth', mech, '--auth-user', 'alice@example.com', '--auth-password', 'alice secret', '--from', 'alice@example.com', '--to', 'someone@elsewhere.test', '--timeout', '10']);
      assert.equal(res.code, 0, res.stdout + res.stderr);
      assert.match(res.stdout, /<- {2}235 2\.0\.0 OK/);
    }
    const tls = await runSmtpClient({ port: port.submission, tls: 'starttls', cafile: ca.ca.cert, user: 'alice@example.com', password: 'alice secret', mech: 'login', mail_from: 'alice@example.com', rcpt_to: ['friend@elsewhere.test'] });
    assert.equal(tls.auth?.code, 235, JSON.stringify(tls.transcript));
    const got = await sink.waitForMessages(before + 3);
    const last = got.at(-1)!;
    assert.deepEqual(last.rcptTo, ['friend@elsewhere.test']);
    assert.equal(last.user, 'alice@example.com');
    assert.equal(last.xclient.ADDR, '127.0.0.1');
    assert.equal(last.xclient.LOGIN, 'alice@example.com');
    const bad = await runSmtpClient({ port: port.submission, user: 'alice@example.com', password: 'wrong', mech: 'plain' });
    assert.deepEqual(bad.auth, { code: 535, text: '5.7.8 Invalid login or password' });
  });

  test('inbound mail (smtp-mx, no AUTH) is delivered to the recipient\'s backend; relaying is refused', async () => {
    const before = sink.messages.length;
    const res = await runSwaks(['--server', `127.0.0.1:${port.mx}`, '--from', 'sender@remote.test', '--to', 'alice@example.com', '--ehlo', 'remote.test', '--timeout', '10']);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const got = await sink.waitForMessages(before + 1);
    assert.deepEqual(got.at(-1)?.rcptTo, ['alice@example.com']);
    assert.equal(got.at(-1)?.mailFrom, 'sender@remote.test');
    const relay = await runSwaks(['--server', `127.0.0.1:${port.mx}`, '--from', 'sender@remote.test', '--to', 'victim@elsewhere.test', '--timeout', '10']);
    assert.match(relay.stdout, /<\*\* 554 5\.7\.1 Relay access denied/);
  });
});

describe('the HTTP transport to an auth server that is not Postern', () => {
  test('nginx\'s static OK logs the user in at the backend it names', async () => {
    const res = await runImapClient({ port: port.viaHttp, user: 'alice@example.com', password: 'alice secret', fetch: true });
    assert.ok(res.ok, JSON.stringify(res.transcript));
    assert.deepEqual(res.messages?.map((m) => m.subject), ['for alice through the proxy']);
  });

  test('its failure text reaches the client after its Auth-Wait', async () => {
    const s = await rawSession(port.viaHttpFail);
    try {
      await s.expect(/^\* OK/);
      const t0 = Date.now();
      assert.equal(await s.command('a1 LOGIN alice@example.com x', /^a1 /, 8000), 'a1 NO Nope, not today');
      assert.ok(Date.now() - t0 >= 900);
    } finally {
      s.close();
    }
  });
});

describe('TLS to the backend', () => {
  test('STARTTLS and implicit TLS to Dovecot, verified against the test CA', async () => {
    const tom = await runImapClient({ port: port.backendStarttls, user: 'tom@starttls.test', password: 'tom secret', fetch: true });
    assert.ok(tom.ok, JSON.stringify(tom.transcript));
    assert.deepEqual(tom.messages?.map((m) => m.subject), ['for tom over STARTTLS']);
    const ian = await runImapClient({ port: port.backendImplicit, user: 'ian@imaps.test', password: 'ian secret', fetch: true });
    assert.ok(ian.ok, JSON.stringify(ian.transcript));
    assert.deepEqual(ian.messages?.map((m) => m.subject), ['for ian over implicit TLS']);
    assert.match(tlsDovecot.log(), /imap-login: Info: Login: user=<tom@starttls\.test>.*, TLS,/);
    assert.match(tlsDovecot.log(), /imap-login: Info: Login: user=<ian@imaps\.test>.*, TLS,/);
  });

  test('a backend certificate the configured CA did not sign is refused: the client gets the internal error', async () => {
    const s = await rawSession(port.backendWrongCa);
    try {
      await s.expect(/^\* OK/);
      assert.equal(await s.command('a1 LOGIN tom@starttls.test "tom secret"', /^(a1 |\* BAD)/, 8000), '* BAD internal server error');
      assert.ok(await s.waitClosed());
    } finally {
      s.close();
    }
    // Postern writes its log asynchronously: the line may come after the client's answer.
    const failed = await waitForLog(postern.logs, (l) => l.event === 'backend-failed', { diagnostics: postern.output });
    assert.match(String(failed?.detail), /TLS: (unable to verify|self.signed|certificate)/i);
  });
});

describe('hostile clients', () => {
  /** After each abuse, the proxy still serves a good login. */
  async function goodLogin(): Promise<void> {
    const res = await runImapClient({ port: port.imap, user: 'alice@example.com', password: 'alice secret' });
    assert.ok(res.ok, JSON.stringify(res.transcript));
  }

  test('an overlong command line is refused and the connection closed', async () => {
    const s = await rawSession(port.imap);
    try {
      await s.expect(/^\* OK/);
      // In two writes, as a line that outgrows the 4 KiB buffer arrives from a real network.
      s.sendRaw(`a1 LOGIN ${'x'.repeat(4500)}`);
      await new Promise((r) => setTimeout(r, 100));
      s.send(' y');
      assert.equal(await s.expect(/^a1 /), 'a1 BAD invalid command');
      assert.ok(await s.waitClosed());
    } finally {
      s.close();
    }
    await goodLogin();
  });

  test('bad base64 in AUTHENTICATE and POP3/SMTP commands out of order get protocol errors', async () => {
    const imap = await rawSession(port.imap);
    try {
      await imap.expect(/^\* OK/);
      await imap.command('a1 AUTHENTICATE PLAIN', /^\+/);
      assert.equal(await imap.command('!!!not base64!!!', /^a1 /), 'a1 BAD invalid command');
    } finally {
      imap.close();
    }
    const pop = await rawSession(port.pop3);
    try {
      await pop.expect(/^\+OK/);
      assert.equal(await pop.command('PASS secret', /^[+-]/), '-ERR invalid command');
    } finally {
      pop.close();
    }
    const mx = await rawSession(port.mx);
    try {
      await mx.expect(/^220 /);
      await mx.command('EHLO remote.test', /^250 /);
      assert.equal(await mx.command('RCPT TO:<alice@example.com>', /^\d{3} /), '503 5.5.1 Bad sequence of commands');
    } finally {
      mx.close();
    }
    await goodLogin();
  });

  test('pipelined junk counts towards max_errors, which closes the connection', async () => {
    const s = await rawSession(port.imap);
    try {
      await s.expect(/^\* OK/);
      s.sendRaw(Array.from({ length: 8 }, (_, i) => `j${i} JUNK\r\n`).join(''));
      assert.ok(await s.waitClosed());
      assert.equal(s.lines.filter((l) => / BAD invalid command$/.test(l)).length, 5, JSON.stringify(s.lines));
    } finally {
      s.close();
    }
    await goodLogin();
  });

  test('a slow drip is cut at the login time limit', async () => {
    const s = await rawSession(port.imap);
    const t0 = Date.now();
    const drip = setInterval(() => s.sendRaw('a'), 300);
    try {
      await s.expect(/^\* OK/);
      assert.ok(await s.waitClosed(9000), 'closed');
      const took = Date.now() - t0;
      assert.ok(took >= 4500 && took < 8000, String(took));
    } finally {
      clearInterval(drip);
      s.close();
    }
    await goodLogin();
  });
});

describe('logs', () => {
  test('each listener is announced, and no password appears anywhere', () => {
    const announced = postern.logs.filter((l) => l.event === 'mail-proxy-listening').map((l) => l.port);
    assert.deepEqual([...announced].sort(), Object.values(port).sort());
    const out = postern.output();
    for (const secret of ['alice secret', 'bob secret', 'tom secret', 'ian secret']) assert.ok(!out.includes(secret), `"${secret}" leaked into the log`);
  });
});
