/**
 * End to end: AUTH EXTERNAL with real TLS client certificates. Python's imaplib/smtplib (and a
 * raw line session) present certificates made by openssl → Debian's nginx 1.22 verifies them
 * (`ssl_verify_client optional` or `optional_no_ca`) and passes Auth-SSL-* to Postern → Postern
 * maps the certificate to a mailbox → Dovecot opens it (trusting the proxy's address for the
 * one-time Auth-Pass) or the SMTP sink receives XCLIENT LOGIN=. Each case asserts what the
 * client sees and Postern's decision log line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  makeTestCa,
  rawSession,
  runImapClient,
  runSmtpClient,
  startDovecot,
  startNginx,
  startSmtpSink,
  type DovecotHandle,
  type NginxHandle,
  type SmtpSinkHandle,
  type TestCa,
  type TestCert,
} from '../harness/index.js';
import { startPostern, type PosternHandle } from '../harness/postern.js';
import { hashPassword } from '../../src/passwords/index.js';

const REFUSED_IMAP = 'NO [AUTHENTICATIONFAILED] Certificate not accepted';
const ALICE_SUBJECT = 'for alice, opened by her certificate';

let ca: TestCa;
let alice: TestCert;
let bob: TestCert;
let mallory: TestCert;
let selfsigned: TestCert;
let dovecot: DovecotHandle;
let sink: SmtpSinkHandle;
let postern: PosternHandle;
let nginx: NginxHandle;

before(async () => {
  ca = makeTestCa('/O=Example Org/CN=Postern Test CA');
  alice = ca.issue('alice', '/O=Example Org/CN=alice');
  bob = ca.issue('bob', '/O=Example Org/CN=bob');
  mallory = ca.issue('mallory', '/O=Example Org/CN=mallory');
  selfsigned = ca.selfSigned('selfsigned', '/O=Example Org/CN=selfsigned');

  [dovecot, sink] = await Promise.all([
    startDovecot({
      label: 'dovecot-external',
      protocols: ['imap'],
      // Postern never sends this password for EXTERNAL: the static passdb below lets the
      // proxy's address in with any password (README "AUTH EXTERNAL"), the passwd-file is
      // the userdb that knows alice's mail folder.
      users: [{ user: 'alice@example.com', password: 'not what postern sends' }],
      extra: ['passdb {', '  driver = static', '  args = nopassword=y allow_real_nets=127.0.0.1/32', '}'],
    }),
    startSmtpSink({ xclient: true, name: 'sink-external.test' }),
  ]);
  dovecot.deliver('alice@example.com', `From: test@example.com\r\nTo: alice@example.com\r\nSubject: ${ALICE_SUBJECT}\r\n\r\nbody\r\n`);

  postern = await startPostern({
    // Suites about other things keep the failure delay flat (the defence suite tests its growth).
    env: { POSTERN_AUTH_FAILURE_WAIT_SECONDS: '1', POSTERN_DEFENCE_PENALTY_MAX_SECONDS: '1' },
    setup: async (dir) => {
      await dir.addDomain('example.com');
      await dir.addBackend({ name: 'backend', host: '127.0.0.1', ports: { imap: dovecot.ports.imap, smtp: sink.port } });
      await dir.setRoute('default', null, 'backend');
      await dir.addMailbox({ address: 'alice@example.com', passwordHash: await hashPassword('alice secret') });
      // bob has no password at all: his certificate is his only way in.
      await dir.addMailbox({ address: 'bob@example.com', passwordHash: null });
      await dir.addCertMapping('fingerprint', alice.fingerprint, 'alice@example.com');
      // nginx sends the RFC 2253 subject, which lists the RDNs in reverse order of
      // `-subj /O=Example Org/CN=bob`.
      await dir.addCertMapping('subject', 'CN=bob,O=Example Org', 'bob@example.com');
    },
  });

  const verifying = ['ssl_verify_client optional', `ssl_client_certificate ${ca.ca.cert}`];
  nginx = await startNginx({
    authHttp: postern.authUrl,
    authHttpHeaders: { 'X-Postern-Secret': postern.secret },
    authHttpTimeout: '10s',
    listeners: [
      { protocol: 'imap', name: 'imaps', ssl: true, auth: ['plain', 'login', 'external'], extra: verifying },
      // optional_no_ca hands verification failures to the auth server (Auth-SSL-Verify: FAILED:...).
      { protocol: 'imap', name: 'imapsNoCa', ssl: true, auth: ['plain', 'login', 'external'], extra: ['ssl_verify_client optional_no_ca', `ssl_client_certificate ${ca.ca.cert}`] },
      // nginx accepts AUTHENTICATE EXTERNAL over plain TCP too (§4.3).
      { protocol: 'imap', name: 'imapPlain', auth: ['external'] },
      { protocol: 'smtp', name: 'submissions', ssl: true, auth: ['plain', 'login', 'external'], xclient: true, extra: verifying },
    ],
  });
});

after(async () => {
  await Promise.allSettled([nginx?.stop(), postern?.stop()]);
  await Promise.allSettled([dovecot?.stop(), sink?.stop()]);
  ca?.remove();
});

/**
 * The one decision a single login attempt made: exactly one decision line from
 * `postern.logs[since]` on (waited for: Postern's log line may trail the client), with these
 * fields. Returns the log index just past it, where the lines of a next attempt start.
 */
async function assertOneDecision(since: number, expected: Record<string, unknown>): Promise<number> {
  const d = await postern.waitForDecision(() => true, { since, timeoutMs: 3000 });
  assert.equal(postern.logs.slice(since).filter((l) => l.event === 'auth').length, 1, 'one auth request per attempt');
  const picked = Object.fromEntries(Object.keys(expected).map((k) => [k, d[k]]));
  assert.deepEqual(picked, expected, JSON.stringify(d));
  return postern.logs.indexOf(d, since) + 1;
}

function certArgs(c: TestCert): { tls: 'implicit'; certfile: string; keyfile: string } {
  return { tls: 'implicit', certfile: c.cert, keyfile: c.key };
}

/** The tagged reply without its tag. */
function untagged(line: string | null | undefined): string | undefined {
  return line?.replace(/^\S+ /, '');
}

describe('AUTH EXTERNAL through nginx with client certificates', () => {
  test('the certificates carry the values nginx sends (fingerprint, reversed RFC 2253 subject)', () => {
    assert.match(alice.fingerprint, /^[0-9a-f]{40}$/);
    assert.equal(bob.subject, 'CN=bob,O=Example Org');
    assert.equal(bob.issuer, 'CN=Postern Test CA,O=Example Org');
    assert.equal(selfsigned.issuer, selfsigned.subject);
  });

  test('IMAP AUTHENTICATE EXTERNAL with alice\'s CA-signed certificate opens her mailbox (fingerprint mapping)', async () => {
    const n = postern.logs.length;
    const res = await runImapClient({ port: nginx.ports.imaps!, ...certArgs(alice), mech: 'external', fetch: true });
    assert.ok(res.ok, JSON.stringify(res.transcript));
    assert.ok(res.capability?.includes('AUTH=EXTERNAL'), JSON.stringify(res.capability));
    // nginx prompts "Username:" even for EXTERNAL (§4.3); '=' answers with an empty authzid.
    assert.equal(res.login?.challenge, 'VXNlcm5hbWU6');
    assert.match(untagged(res.login?.tagged) ?? '', /^OK /);
    assert.deepEqual(res.messages?.map((m) => m.subject), [ALICE_SUBJECT]);
    await assertOneDecision(n, { method: 'external', user: '', result: 'ok', reason: 'ok', mailbox: 'alice@example.com', backend: 'backend' });
    // Postern's one-time Auth-Pass is not alice's password: the static passdb let the proxy in.
    const log = dovecot.log();
    assert.match(log, /passwd-file\(alice@example\.com,127\.0\.0\.1,[^)]*\): Password mismatch/);
    assert.match(log, /imap-login: Info: Login: user=<alice@example\.com>, method=PLAIN, rip=127\.0\.0\.1/);
  });

  test('the optional_no_ca listener verifies a CA-signed certificate too (SASL-IR, empty line as empty authzid)', async () => {
    const n = postern.logs.length;
    const res = await runImapClient({ port: nginx.ports.imapsNoCa!, ...certArgs(alice), mech: 'external', sasl_ir: true, fetch: true });
    assert.ok(res.ok, JSON.stringify(res.transcript));
    assert.equal(res.login?.challenge, null, 'no continuation with an initial response');
    assert.deepEqual(res.messages?.map((m) => m.subject), [ALICE_SUBJECT]);
    await assertOneDecision(n, { reason: 'ok', mailbox: 'alice@example.com' });

    const m = postern.logs.length;
    const empty = await runImapClient({ port: nginx.ports.imaps!, ...certArgs(alice), mech: 'external', empty_response: '' });
    assert.ok(empty.ok, JSON.stringify(empty.transcript));
    await assertOneDecision(m, { user: '', reason: 'ok', mailbox: 'alice@example.com' });
  });

  test('SMTP AUTH EXTERNAL with bob\'s certificate (subject mapping): 235, XCLIENT LOGIN=bob, mail delivered', async () => {
    const n = postern.logs.length;
    const before = sink.messages.length;
    const res = await runSmtpClient({
      port: nginx.ports.submissions!,
      ...certArgs(bob),
      mech: 'external',
      mail_from: 'bob@example.com',
      rcpt_to: ['friend@elsewhere.test'],
      subject: 'sent with a certificate',
    });
    assert.ok(res.ok, JSON.stringify(res.transcript));
    assert.match(res.ehlo?.features['auth'] ?? '', /\bEXTERNAL\b/);
    assert.deepEqual(res.auth_challenge, { code: 334, text: 'VXNlcm5hbWU6' });
    assert.deepEqual(res.auth, { code: 235, text: '2.0.0 OK' });
    assert.equal(res.data?.code, 250);
    await assertOneDecision(n, { protocol: 'smtp', method: 'external', user: '', reason: 'ok', mailbox: 'bob@example.com', backend: 'backend' });

    const [msg] = (await sink.waitForMessages(before + 1)).slice(before);
    assert.equal(msg?.mailFrom, 'bob@example.com');
    assert.deepEqual(msg?.rcptTo, ['friend@elsewhere.test']);
    assert.equal(msg?.user, 'bob@example.com');
    assert.match(msg?.text ?? '', /^Subject: sent with a certificate\r?$/m);
    const session = sink.sessions.find((s) => s.id === msg?.sessionId);
    const xclient = session?.commands.find((c) => c.startsWith('XCLIENT '));
    assert.match(xclient ?? '', /^XCLIENT ADDR=127\.0\.0\.1 LOGIN=bob@example\.com NAME=/, JSON.stringify(session?.commands));
  });

  test('mallory\'s CA-signed but unmapped certificate is refused (external-unmapped)', async () => {
    const n = postern.logs.length;
    const res = await runImapClient({ port: nginx.ports.imaps!, ...certArgs(mallory), mech: 'external' });
    assert.equal(res.ok, false);
    assert.equal(untagged(res.login?.tagged), REFUSED_IMAP, JSON.stringify(res.transcript));
    await assertOneDecision(n, { result: 'fail', reason: 'external-unmapped', mailbox: undefined });
  });

  test('a self-signed certificate: refused by Postern behind optional_no_ca, cut off by nginx behind optional', async () => {
    const n = postern.logs.length;
    const res = await runImapClient({ port: nginx.ports.imapsNoCa!, ...certArgs(selfsigned), mech: 'external' });
    assert.equal(res.ok, false);
    assert.equal(untagged(res.login?.tagged), REFUSED_IMAP, JSON.stringify(res.transcript));
    await assertOneDecision(n, { result: 'fail', reason: 'external-untrusted', mailbox: undefined });

    // Under `optional` nginx ends the session in place of the greeting, before any login.
    const m = postern.decisions().length;
    const imap = await rawSession(nginx.ports.imaps!, { tls: true, cert: selfsigned.cert, key: selfsigned.key });
    const smtp = await rawSession(nginx.ports.submissions!, { tls: true, cert: selfsigned.cert, key: selfsigned.key });
    try {
      assert.equal(await imap.readLine(), '* BYE SSL certificate error');
      assert.ok(await imap.waitClosed(), 'nginx closes the IMAP connection');
      assert.equal(await smtp.readLine(), '421 4.7.1 SSL certificate error');
      assert.ok(await smtp.waitClosed(), 'nginx closes the SMTP connection');
    } finally {
      imap.close();
      smtp.close();
    }
    assert.equal(postern.decisions().length, m, 'Postern was not asked');
  });

  test('EXTERNAL without a client certificate, or without TLS at all, is refused (external-untrusted)', async () => {
    let n = postern.logs.length;
    const noCert = await runImapClient({ port: nginx.ports.imaps!, tls: 'implicit', mech: 'external' });
    assert.equal(untagged(noCert.login?.tagged), REFUSED_IMAP, JSON.stringify(noCert.transcript));
    await assertOneDecision(n, { reason: 'external-untrusted', mailbox: undefined });

    n = postern.logs.length;
    const plain = await runImapClient({ port: nginx.ports.imapPlain!, tls: 'none', mech: 'external', authzid: 'alice@example.com' });
    assert.ok(plain.capability?.includes('AUTH=EXTERNAL'), 'nginx advertises EXTERNAL without TLS');
    assert.equal(untagged(plain.login?.tagged), REFUSED_IMAP, JSON.stringify(plain.transcript));
    await assertOneDecision(n, { user: 'alice@example.com', reason: 'external-untrusted', mailbox: undefined });

    n = postern.logs.length;
    const smtp = await runSmtpClient({ port: nginx.ports.submissions!, tls: 'implicit', mech: 'external-ir' });
    assert.deepEqual(smtp.auth, { code: 535, text: '5.7.8 Certificate not accepted' });
    await assertOneDecision(n, { protocol: 'smtp', reason: 'external-untrusted' });
  });

  test('alice\'s certificate asking for bob\'s mailbox is refused; the same connection may then log in as alice', async () => {
    const n = postern.logs.length;
    const s = await rawSession(nginx.ports.imaps!, { tls: true, cert: alice.cert, key: alice.key });
    try {
      await s.expect(/^\* OK/);
      const b64 = (v: string): string => Buffer.from(v).toString('base64');
      const t0 = Date.now();
      assert.equal(await s.command(`a1 AUTHENTICATE EXTERNAL ${b64('bob@example.com')}`, /^a1 /), `a1 ${REFUSED_IMAP}`);
      assert.ok(Date.now() - t0 >= 900, 'nginx waited Auth-Wait before answering');
      const next = await assertOneDecision(n, { user: 'bob@example.com', attempt: 1, result: 'fail', reason: 'external-unmapped', mailbox: 'alice@example.com' });

      // An authorization identity naming her own mailbox is fine.
      assert.match(await s.command(`a2 AUTHENTICATE EXTERNAL ${b64('alice@example.com')}`, /^a2 /, 8000), /^a2 OK /);
      await assertOneDecision(next, { user: 'alice@example.com', attempt: 2, reason: 'ok', mailbox: 'alice@example.com' });
      await s.command('a3 SELECT INBOX', /^\* 1 EXISTS$/);
      await s.expect(/^a3 OK /);
    } finally {
      s.close();
    }
  });

  test('the backend trusts certificate logins only from the proxy\'s address (allow_real_nets)', async () => {
    const elsewhere = await rawSession(dovecot.ports.imap, { localAddress: '127.0.0.2' });
    const proxy = await rawSession(dovecot.ports.imap, { localAddress: '127.0.0.1' });
    try {
      await elsewhere.expect(/^\* OK/);
      assert.match(await elsewhere.command('a1 LOGIN alice@example.com one-time-token', /^a1 /), /^a1 NO \[AUTHENTICATIONFAILED\]/);
      await proxy.expect(/^\* OK/);
      assert.match(await proxy.command('a1 LOGIN alice@example.com one-time-token', /^a1 /), /^a1 OK /);
    } finally {
      elsewhere.close();
      proxy.close();
    }
    assert.match(dovecot.log(), /static\(alice@example\.com,127\.0\.0\.2,[^)]*\): allow_real_nets check failed/);
  });
});
