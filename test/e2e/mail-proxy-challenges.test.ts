/**
 * End to end: the challenge and certificate mechanisms through Postern's own mail proxy, with
 * Postern alone as the front door (proxy and auth server in one `postern serve`): Python's
 * imaplib, poplib and smtplib log in with IMAP AUTHENTICATE CRAM-MD5, POP3 APOP and AUTH
 * CRAM-MD5, SMTP AUTH CRAM-MD5, and AUTH EXTERNAL with a TLS client certificate, to a real
 * Dovecot and the SMTP sink. The challenge logins check the mailbox's reversible credential (set
 * with the real CLI, encrypted in the vault) and log in at the backend with it; the POP3
 * listener asks over HTTP, the others in-process. (Through nginx: challenge-logins.test.ts,
 * external-cert.test.ts.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  freePorts,
  makeSelfSignedCert,
  makeTestCa,
  rawSession,
  runImapClient,
  runPop3Client,
  runSmtpClient,
  startDovecot,
  startSmtpSink,
  type DovecotHandle,
  type SmtpSinkHandle,
  type TestCa,
  type TestCert,
} from '../harness/index.js';
import { startPostern, type PosternHandle } from '../harness/postern.js';
import { hashPassword } from '../../src/passwords/index.js';

const ALICE = 'alice@example.com';
/** alice's reversible credential: what CRAM-MD5 and APOP prove, and what Dovecot is told. */
const SECRET = 'tanstaaf challenge';
const SUBJECT = 'for alice, through the challenges';

let ca: TestCa;
let bob: TestCert;
let dovecot: DovecotHandle;
let sink: SmtpSinkHandle;
let postern: PosternHandle;
const port = { imap: 0, pop3: 0, smtp: 0, imaps: 0, submissions: 0, pop3s: 0 };

before(async () => {
  ca = makeTestCa('/O=Example Org/CN=Challenge Test CA');
  bob = ca.issue('bob', '/O=Example Org/CN=bob');
  const serverCert = makeSelfSignedCert(ca.dir);
  [dovecot, sink] = await Promise.all([
    startDovecot({
      label: 'dovecot-proxy-challenges',
      protocols: ['imap', 'pop3'],
      // alice's password is her reversible credential. bob's is never sent: his certificate is
      // his way in, and Postern's one-time Auth-Pass passes the static passdb, for him alone.
      users: [
        { user: ALICE, password: SECRET },
        { user: 'bob@example.com', password: 'never sent' },
      ],
      extra: ['passdb {', '  driver = static', '  args = nopassword=y allow_real_nets=127.0.0.1/32', '  username_filter = bob@example.com', '}'],
    }),
    startSmtpSink({ xclient: true, name: 'sink-challenges.test' }),
  ]);
  dovecot.deliver(ALICE, `From: t@example.com\r\nTo: ${ALICE}\r\nSubject: ${SUBJECT}\r\n\r\nbody\r\n`);
  dovecot.deliver('bob@example.com', 'From: t@example.com\r\nTo: bob@example.com\r\nSubject: for bob\r\n\r\nbody\r\n');
  [port.imap, port.pop3, port.smtp, port.imaps, port.submissions, port.pop3s] = (await freePorts(6)) as [number, number, number, number, number, number];
  const tlsListener = (protocol: string, p: number, auth: string[]): string[] => [
    ...listener(protocol, p, auth),
    'tls = "implicit"',
    'tls_verify_client = "optional"',
    `tls_client_ca_file = ${JSON.stringify(ca.ca.cert)}`,
  ];
  postern = await startPostern({
    env: { POSTERN_AUTH_FAILURE_WAIT_SECONDS: '1', POSTERN_DEFENCE_PENALTY_MAX_SECONDS: '1' },
    mailProxy: ({ authUrl, secretHeader, secret }) =>
      [
        '[mail_proxy]',
        'enabled = true',
        'server_name = "mail.test"',
        'auth_http = "in-process"',
        `auth_http_headers = { ${JSON.stringify(secretHeader)} = ${JSON.stringify(secret)} }`,
        `tls_cert_file = ${JSON.stringify(serverCert.cert)}`,
        `tls_key_file = ${JSON.stringify(serverCert.key)}`,
        ...listener('imap', port.imap, ['plain', 'cram-md5']),
        ...listener('pop3', port.pop3, ['plain', 'apop', 'cram-md5']),
        `auth_http = "${authUrl}"`,
        ...listener('smtp', port.smtp, ['plain', 'cram-md5']),
        ...tlsListener('imap', port.imaps, ['plain', 'external']),
        ...tlsListener('smtp', port.submissions, ['plain', 'external']),
        ...tlsListener('pop3', port.pop3s, ['plain', 'external']),
      ].join('\n'),
    setup: async (dir) => {
      await dir.addDomain('example.com');
      await dir.addBackend({ name: 'backend', host: '127.0.0.1', ports: { imap: dovecot.ports.imap, pop3: dovecot.ports.pop3, smtp: sink.port } });
      await dir.setRoute('default', null, 'backend');
      await dir.addMailbox({ address: ALICE, passwordHash: await hashPassword('alice plain password') });
      await dir.addMailbox({ address: 'bob@example.com', passwordHash: null });
      await dir.addCertMapping('fingerprint', bob.fingerprint, 'bob@example.com');
    },
  });
  const set = await postern.cli(['mailbox', 'secret', 'set', ALICE, '--stdin'], { input: `${SECRET}\n` });
  assert.equal(set.code, 0, set.stderr);
});

after(async () => {
  await postern?.stop();
  await Promise.allSettled([dovecot?.stop(), sink?.stop()]);
  ca?.remove();
});

function listener(protocol: string, p: number, auth: string[]): string[] {
  return ['', '[[mail_proxy.listeners]]', `protocol = "${protocol}"`, `port = ${p}`, `auth = ${JSON.stringify(auth)}`];
}

/**
 * The decision line for `method` and `result` from log index `since` on. A line may trail its
 * client (Postern's log is batched), so the previous test's may come after `since`, and is told
 * apart by what it says.
 */
async function decided(since: number, method: string, result: 'ok' | 'fail'): Promise<Record<string, unknown>> {
  return postern.waitForDecision((l) => l.method === method && l.result === result && l.protocol !== 'smtp', { since, timeoutMs: 5000 });
}

describe("challenges and certificates through Postern's own proxy", () => {
  test('IMAP AUTHENTICATE CRAM-MD5 logs in at Dovecot with the reversible credential and fetches', async () => {
    const n = postern.logs.length;
    const res = await runImapClient({ port: port.imap, user: ALICE, password: SECRET, mech: 'cram-md5', fetch: true });
    assert.ok(res.ok, JSON.stringify(res.transcript));
    assert.ok(res.capability?.includes('AUTH=CRAM-MD5'), JSON.stringify(res.capability));
    assert.deepEqual(res.messages?.map((m) => m.subject), [SUBJECT]);
    const d = await decided(n, 'cram-md5', 'ok');
    assert.equal(d.mailbox, ALICE);
    assert.match(dovecot.log(), /imap-login: Info: Login: user=<alice@example\.com>, method=PLAIN, rip=127\.0\.0\.1/);
  });

  test('POP3 APOP and AUTH CRAM-MD5 (the auth server over HTTP) retrieve the message', async () => {
    const apop = await runPop3Client({ port: port.pop3, user: ALICE, password: SECRET, mech: 'apop', stat: true, retr: 1 });
    assert.ok(apop.ok, JSON.stringify(apop.transcript));
    assert.match(apop.greeting ?? '', /^\+OK POP3 ready <\d+\.\d+@mail\.test>$/);
    assert.equal(apop.retr?.subject, SUBJECT);
    const cram = await runPop3Client({ port: port.pop3, user: ALICE, password: SECRET, mech: 'cram-md5', retr: 1 });
    assert.ok(cram.ok, JSON.stringify(cram.transcript));
    assert.equal(cram.retr?.subject, SUBJECT);
  });

  test('SMTP AUTH CRAM-MD5: 235, and the sink is told XCLIENT LOGIN=alice', async () => {
    const before = sink.messages.length;
    const res = await runSmtpClient({ port: port.smtp, user: ALICE, password: SECRET, mech: 'cram-md5', mail_from: ALICE, rcpt_to: ['friend@elsewhere.test'], subject: 'sent with CRAM-MD5' });
    assert.ok(res.ok, JSON.stringify(res.transcript));
    assert.match(res.ehlo?.features['auth'] ?? '', /\bCRAM-MD5\b/);
    assert.equal(res.auth?.code, 235);
    const [msg] = (await sink.waitForMessages(before + 1)).slice(before);
    assert.equal(msg?.user, ALICE);
    assert.match(msg?.text ?? '', /^Subject: sent with CRAM-MD5\r?$/m);
  });

  test('a wrong secret: refused at once without Auth-Wait, the connection closed, Dovecot never asked', async () => {
    const dovecotBefore = dovecot.log().length;
    const n = postern.logs.length;
    const imap = await runImapClient({ port: port.imap, user: ALICE, password: 'wrong', mech: 'cram-md5' });
    assert.equal(imap.ok, false);
    assert.equal(imap.login?.tagged?.replace(/^\S+ /, ''), 'NO [AUTHENTICATIONFAILED] Invalid login or password');
    assert.equal((await decided(n, 'cram-md5', 'fail')).reason, 'bad-digest');
    // Raw POP3: APOP with a wrong digest, as nginx answers it (§2.4: no retry for a digest).
    const s = await rawSession(port.pop3);
    try {
      await s.expect(/^\+OK/);
      const t0 = Date.now();
      assert.equal(await s.command(`APOP ${ALICE} ${'0'.repeat(32)}`, /^[-+]/), '-ERR [AUTH] Invalid login or password');
      assert.ok(Date.now() - t0 < 900, 'no Auth-Wait');
      assert.ok(await s.waitClosed(3000), 'the proxy closed the connection');
    } finally {
      s.close();
    }
    assert.ok(!/alice@example\.com/.test(dovecot.log().slice(dovecotBefore)), 'Dovecot saw no login for alice');
  });

  test("IMAP and SMTP AUTH EXTERNAL with bob's certificate (fingerprint mapping)", async () => {
    const n = postern.logs.length;
    const imap = await runImapClient({ port: port.imaps, tls: 'implicit', certfile: bob.cert, keyfile: bob.key, mech: 'external', fetch: true });
    assert.ok(imap.ok, JSON.stringify(imap.transcript));
    assert.deepEqual(imap.messages?.map((m) => m.subject), ['for bob']);
    const d = await decided(n, 'external', 'ok');
    assert.deepEqual([d.user, d.mailbox], ['', 'bob@example.com']);

    const before = sink.messages.length;
    const smtp = await runSmtpClient({ port: port.submissions, tls: 'implicit', certfile: bob.cert, keyfile: bob.key, mech: 'external', mail_from: 'bob@example.com', rcpt_to: ['friend@elsewhere.test'], subject: 'sent with a certificate' });
    assert.ok(smtp.ok, JSON.stringify(smtp.transcript));
    assert.equal(smtp.auth?.code, 235);
    const [msg] = (await sink.waitForMessages(before + 1)).slice(before);
    assert.equal(msg?.user, 'bob@example.com');
  });

  test("POP3 AUTH EXTERNAL with bob's certificate (no client library speaks it: a raw session)", async () => {
    const s = await rawSession(port.pop3s, { tls: true, cert: bob.cert, key: bob.key });
    try {
      await s.expect(/^\+OK/);
      assert.equal(await s.command('AUTH EXTERNAL =', /^[-+]/), '+OK Logged in.');
      assert.match(await s.command('STAT', /^[-+]/), /^\+OK 1 \d+$/);
    } finally {
      s.close();
    }
  });

  test('EXTERNAL without a certificate is refused; no password appears in the log', async () => {
    const n = postern.logs.length;
    const res = await runImapClient({ port: port.imaps, tls: 'implicit', mech: 'external' });
    assert.equal(res.ok, false);
    assert.equal(res.login?.tagged?.replace(/^\S+ /, ''), 'NO [AUTHENTICATIONFAILED] Certificate not accepted', JSON.stringify(res.transcript));
    assert.equal((await decided(n, 'external', 'fail')).reason, 'external-untrusted');
    assert.ok(!postern.output().includes(SECRET), 'the reversible credential never appears in the log');
  });
});
