/**
 * End to end: real clients (curl, swaks, Python's imaplib/poplib/smtplib) → Debian's nginx
 * 1.22 with the mail module → Postern (`postern serve`, a child process) as auth_http server →
 * two real Dovecot backends and two SMTP backends. Each case asserts what the client sees, and
 * where it matters which backend and mailbox it reached.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  doveadmHash,
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
} from '../harness/index.js';
import { startPostern, type PosternHandle } from '../harness/postern.js';
import { hashPassword } from '../../src/passwords/index.js';

// Dovecot's passwd-file escapes quotes in user names before the lookup, so the odd bytes of
// the user name are UTF-8 and '%'; the password carries spaces, '%', quotes and a backslash.
const ODD_USER = 'zoë%1@example.com';
const ODD_PASS = 'pä ss%41 "w" \'x\' \\b';

let a: DovecotHandle;
let b: DovecotHandle;
let sinkA: SmtpSinkHandle;
let sinkB: SmtpSinkHandle;
let postern: PosternHandle;
let nginx: NginxHandle;

function message(subject: string): string {
  return `From: test@example.com\r\nTo: x@example.com\r\nSubject: ${subject}\r\n\r\nbody\r\n`;
}

before(async () => {
  [a, b, sinkA, sinkB] = await Promise.all([
    startDovecot({
      label: 'dovecot-a',
      users: [
        { user: 'alice@example.com', password: 'alice secret' },
        { user: ODD_USER, password: ODD_PASS },
        { user: 'dave@example.com', password: 'dave secret' },
      ],
    }),
    startDovecot({ label: 'dovecot-b', users: [{ user: 'bob@example.org', password: 'bob secret' }] }),
    startSmtpSink({ xclient: true, name: 'sink-a.test' }),
    startSmtpSink({ xclient: true, name: 'sink-b.test' }),
  ]);
  a.deliver('alice@example.com', message('for alice on backend A'));
  a.deliver(ODD_USER, message('for zoe on backend A'));
  b.deliver('bob@example.org', message('for bob on backend B'));

  postern = await startPostern({
    // Suites about other things keep the failure delay flat (the defence suite tests its growth).
    env: { POSTERN_AUTH_FAILURE_WAIT_SECONDS: '1', POSTERN_DEFENCE_PENALTY_MAX_SECONDS: '1' },
    setup: async (dir) => {
      await dir.addDomain('example.com');
      await dir.addDomain('example.org');
      await dir.addDomainAlias('example.net', 'example.com');
      await dir.addBackend({ name: 'backend-a', host: '127.0.0.1', ports: { imap: a.ports.imap, pop3: a.ports.pop3, smtp: sinkA.port, mx: sinkA.port } });
      // A host name: Postern must hand nginx an IP literal.
      await dir.addBackend({ name: 'backend-b', host: 'localhost', ports: { imap: b.ports.imap, pop3: b.ports.pop3, smtp: sinkB.port } });
      await dir.setRoute('default', null, 'backend-a');
      await dir.setRoute('domain', 'example.org', 'backend-b');
      // alice's hash comes from Dovecot itself, as after an import; it is upgraded on login.
      await dir.addMailbox({ address: 'alice@example.com', passwordHash: doveadmHash('alice secret', 'SHA512-CRYPT') });
      await dir.addMailbox({ address: ODD_USER, passwordHash: await hashPassword(ODD_PASS) });
      await dir.addMailbox({ address: 'carol@example.com', passwordHash: await hashPassword('carol secret'), enabled: false });
      await dir.addMailbox({ address: 'dave@example.com', passwordHash: doveadmHash('dave secret', 'BLF-CRYPT'), protocols: ['imap'] });
      await dir.addMailbox({ address: 'erin@example.com', passwordHash: doveadmHash('erin secret', 'SSHA512'), networks: ['203.0.113.0/24'] });
      await dir.addMailbox({ address: 'bob@example.org', passwordHash: doveadmHash('bob secret', 'ARGON2ID') });
      await dir.addAlias('info@example.com', 'alice@example.com');
    },
  });

  nginx = await startNginx({
    authHttp: postern.authUrl,
    authHttpHeaders: { 'X-Postern-Secret': postern.secret },
    authHttpTimeout: '10s',
    listeners: [
      { protocol: 'imap', name: 'imap', auth: ['plain', 'login'] },
      { protocol: 'imap', name: 'imapcram', auth: ['plain', 'login', 'cram-md5'] },
      { protocol: 'pop3', name: 'pop3', auth: ['plain'] },
      { protocol: 'smtp', name: 'submission', auth: ['plain', 'login'], xclient: false },
      { protocol: 'smtp', name: 'mx', auth: ['none'], xclient: true },
    ],
  });
});

after(async () => {
  await Promise.allSettled([nginx?.stop(), postern?.stop()]);
  await Promise.allSettled([a?.stop(), b?.stop(), sinkA?.stop(), sinkB?.stop()]);
});

describe('IMAP through nginx', () => {
  test('curl logs in and lists INBOX', async () => {
    const res = await runCurl(['-s', '--max-time', '10', `imap://127.0.0.1:${nginx.ports.imap}/`, '-u', 'alice@example.com:alice secret']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /INBOX/);
  });

  test('imaplib reaches the right mailbox on the right backend for two users', async () => {
    const alice = await runImapClient({ port: nginx.ports.imap!, user: 'alice@example.com', password: 'alice secret', fetch: true });
    assert.ok(alice.ok, JSON.stringify(alice));
    assert.deepEqual(alice.messages?.map((m) => m.subject), ['for alice on backend A']);
    const bob = await runImapClient({ port: nginx.ports.imap!, user: 'bob@example.org', password: 'bob secret', fetch: true });
    assert.ok(bob.ok, JSON.stringify(bob));
    assert.deepEqual(bob.messages?.map((m) => m.subject), ['for bob on backend B']);
    assert.equal((await postern.waitForDecision((d) => d.user === 'bob@example.org')).backend, 'backend-b');
  });

  test('an alias and a domain alias open the mailbox itself', async () => {
    for (const user of ['info@example.com', 'alice@example.net', 'ALICE@Example.COM']) {
      const res = await runImapClient({ port: nginx.ports.imap!, user, password: 'alice secret', fetch: true });
      assert.ok(res.ok, `${user}: ${JSON.stringify(res)}`);
      assert.deepEqual(res.messages?.map((m) => m.subject), ['for alice on backend A'], user);
    }
  });

  test('UTF-8, spaces, % and quotes in credentials work with LOGIN literals, quoted strings and AUTHENTICATE PLAIN', async () => {
    for (const args of [{ mech: 'login' as const, login_mode: 'literal' as const }, { mech: 'plain' as const }, { mech: 'authlogin' as const }]) {
      const res = await runImapClient({ port: nginx.ports.imap!, user: ODD_USER, password: ODD_PASS, fetch: true, ...args });
      assert.ok(res.ok, `${JSON.stringify(args)}: ${JSON.stringify(res.transcript)}`);
      assert.deepEqual(res.messages?.map((m) => m.subject), ['for zoe on backend A']);
    }
    const quoted = await runImapClient({ port: nginx.ports.imap!, user: 'dave@example.com', password: 'dave secret', login_mode: 'quoted' });
    assert.ok(quoted.ok, JSON.stringify(quoted.transcript));
  });

  test('a wrong password gets Postern\'s exact text after Auth-Wait, and the client may retry on the same connection', async () => {
    const s = await rawSession(nginx.ports.imap!);
    try {
      await s.expect(/^\* OK/);
      const t0 = Date.now();
      assert.equal(await s.command('a1 LOGIN alice@example.com wrong', /^a1 /), 'a1 NO [AUTHENTICATIONFAILED] Invalid login or password');
      assert.ok(Date.now() - t0 >= 900, 'nginx waited Auth-Wait before answering');
      assert.match(await s.command('a2 LOGIN alice@example.com "alice secret"', /^a2 /, 8000), /^a2 OK/);
    } finally {
      s.close();
    }
    await postern.waitForDecision((d) => d.reason === 'bad-credentials' && d.user === 'alice@example.com');
  });

  test('an unknown user sees exactly what a wrong password shows', async () => {
    const s = await rawSession(nginx.ports.imap!);
    try {
      await s.expect(/^\* OK/);
      assert.equal(await s.command('a1 LOGIN nobody@example.com wrong', /^a1 /), 'a1 NO [AUTHENTICATIONFAILED] Invalid login or password');
    } finally {
      s.close();
    }
    assert.equal((await postern.waitForDecision((d) => d.user === 'nobody@example.com')).reason, 'unknown-user');
  });

  test('a disabled account and a network restriction are refused with their own texts', async () => {
    const carol = await runImapClient({ port: nginx.ports.imap!, user: 'carol@example.com', password: 'carol secret' });
    assert.equal(carol.ok, false);
    assert.equal(carol.login?.tagged?.replace(/^\S+ /, ''), 'NO [CONTACTADMIN] Account disabled');
    const erin = await runImapClient({ port: nginx.ports.imap!, user: 'erin@example.com', password: 'erin secret' });
    assert.equal(erin.login?.tagged?.replace(/^\S+ /, ''), 'NO [AUTHORIZATIONFAILED] Login not allowed from this network');
  });

  test('CRAM-MD5 for a mailbox without a reversible credential is an invalid login, without retry', async () => {
    // The vault is on (init made key k1), but alice never opted in (challenge-logins.test.ts covers those who did).
    const res = await runImapClient({ port: nginx.ports.imapcram!, user: 'alice@example.com', password: 'alice secret', mech: 'cram-md5' });
    assert.equal(res.ok, false);
    assert.equal(res.login?.tagged?.replace(/^\S+ /, ''), 'NO [AUTHENTICATIONFAILED] Invalid login or password');
    const d = await postern.waitForDecision((l) => l.method === 'cram-md5' && l.user === 'alice@example.com');
    assert.equal(d.reason, 'no-reversible-secret');
  });

  test('an older hash is upgraded to argon2id after a successful login', async () => {
    const dir = await postern.directory();
    try {
      const alice = await dir.getMailbox('alice@example.com');
      assert.match(alice?.passwordHash ?? '', /^\{ARGON2ID\}\$argon2id\$/);
    } finally {
      await dir.close();
    }
    const res = await runImapClient({ port: nginx.ports.imap!, user: 'alice@example.com', password: 'alice secret' });
    assert.ok(res.ok, 'the upgraded hash still verifies');
  });
});

describe('POP3 through nginx', () => {
  test('USER/PASS and AUTH PLAIN reach the right backend', async () => {
    const bob = await runPop3Client({ port: nginx.ports.pop3!, user: 'bob@example.org', password: 'bob secret', stat: true, retr: 1 });
    assert.ok(bob.ok, JSON.stringify(bob.transcript));
    assert.equal(bob.retr?.subject, 'for bob on backend B');
    const zoe = await runPop3Client({ port: nginx.ports.pop3!, user: ODD_USER, password: ODD_PASS, mech: 'plain', retr: 1 });
    assert.ok(zoe.ok, JSON.stringify(zoe.transcript));
    assert.equal(zoe.retr?.subject, 'for zoe on backend A');
  });

  test('a wrong password and a protocol the mailbox may not use', async () => {
    const wrong = await runPop3Client({ port: nginx.ports.pop3!, user: 'bob@example.org', password: 'nope' });
    assert.equal(wrong.login?.reply, '-ERR [AUTH] Invalid login or password');
    const dave = await runPop3Client({ port: nginx.ports.pop3!, user: 'dave@example.com', password: 'dave secret' });
    assert.equal(dave.login?.reply, '-ERR [AUTH] POP3 access is not enabled for this account');
    assert.equal((await postern.waitForDecision((d) => d.user === 'dave@example.com' && d.protocol === 'pop3')).reason, 'protocol-denied');
  });
});

describe('SMTP submission through nginx', () => {
  test('swaks AUTH PLAIN and LOGIN deliver to the user\'s own SMTP backend', async () => {
    const before = { a: sinkA.messages.length, b: sinkB.messages.length };
    const alice = await runSwaks(['--server', `127.0.0.1:${nginx.ports.submission}`, '--auth', 'PLAIN', '--auth-user', 'alice@example.com', '--auth-password', 'alice secret', '--from', 'alice@example.com', '--to', 'someone@elsewhere.test', '--timeout', '10']);
    assert.equal(alice.code, 0, alice.stdout + alice.stderr);
    assert.match(alice.stdout, /<- {2}235 2\.0\.0 OK/);
    const bob = await runSwaks(['--server', `127.0.0.1:${nginx.ports.submission}`, '--auth', 'LOGIN', '--auth-user', 'bob@example.org', '--auth-password', 'bob secret', '--from', 'bob@example.org', '--to', 'someone@elsewhere.test', '--timeout', '10']);
    assert.equal(bob.code, 0, bob.stdout + bob.stderr);
    await sinkA.waitForMessages(before.a + 1);
    await sinkB.waitForMessages(before.b + 1);
    assert.equal(sinkA.messages.at(-1)?.mailFrom, 'alice@example.com');
    assert.equal(sinkB.messages.at(-1)?.mailFrom, 'bob@example.org');
  });

  test('UTF-8 credentials with smtplib, and the exact failure line for a wrong password', async () => {
    const ok = await runSmtpClient({ port: nginx.ports.submission!, user: ODD_USER, password: ODD_PASS, mech: 'plain' });
    assert.equal(ok.auth?.code, 235, JSON.stringify(ok.transcript));
    const bad = await runSmtpClient({ port: nginx.ports.submission!, user: 'alice@example.com', password: 'wrong', mech: 'login' });
    assert.deepEqual(bad.auth, { code: 535, text: '5.7.8 Invalid login or password' });
    const dave = await runSmtpClient({ port: nginx.ports.submission!, user: 'dave@example.com', password: 'dave secret', mech: 'plain' });
    assert.deepEqual(dave.auth, { code: 550, text: '5.7.1 SMTP submission is not enabled for this account' });
  });
});

describe('inbound mail (smtp_auth none) through nginx', () => {
  async function send(rcpt: string, extra: string[] = []) {
    return runSwaks(['--server', `127.0.0.1:${nginx.ports.mx}`, '--from', 'sender@remote.test', '--to', rcpt, '--ehlo', 'remote.test', '--timeout', '10', ...extra]);
  }

  test('is routed by recipient domain, with aliases and sub-addresses, to the mailbox\'s backend', async () => {
    const n = { a: sinkA.messages.length, b: sinkB.messages.length };
    for (const rcpt of ['alice@example.com', 'info@example.net', 'alice+lists@example.com']) {
      const res = await send(rcpt);
      assert.equal(res.code, 0, res.stdout + res.stderr);
    }
    const bob = await send('bob@example.org');
    assert.equal(bob.code, 0, bob.stdout + bob.stderr);
    const got = await sinkA.waitForMessages(n.a + 3);
    await sinkB.waitForMessages(n.b + 1);
    assert.deepEqual(got.slice(n.a).map((m) => m.rcptTo), [['alice@example.com'], ['info@example.net'], ['alice+lists@example.com']]);
    assert.deepEqual(sinkB.messages.at(-1)?.rcptTo, ['bob@example.org']);
    // backend-b has no MX port: the SMTP port is used.
    const toBob = await postern.waitForDecision((d) => String(d.rcpt).includes('bob@example.org'));
    assert.equal(toBob.server, `127.0.0.1:${sinkB.port}`);
  });

  test('unknown recipients get 550 5.1.1 and other domains 554 5.7.1 (no relaying)', async () => {
    const unknown = await send('nobody@example.com');
    assert.match(unknown.stdout, /<\*\* 550 5\.1\.1 Recipient address rejected: user unknown/);
    const relay = await send('victim@elsewhere.test');
    assert.match(relay.stdout, /<\*\* 554 5\.7\.1 Relay access denied/);
    assert.equal((await postern.waitForDecision((d) => String(d.rcpt).includes('victim@elsewhere.test'))).reason, 'mx-relay-denied');
  });

  test('stale credentials from a failed AUTH never reach the backend as XCLIENT LOGIN (Debian 1.22 quirk)', async () => {
    const since = postern.logs.length;
    const s = await rawSession(nginx.ports.mx!);
    try {
      await s.expect(/^220 /);
      await s.command('EHLO remote.test', /^250 /);
      const stale = Buffer.from('\0alice@example.com\0wrong').toString('base64');
      assert.match(await s.command(`AUTH PLAIN ${stale}`, /^\d{3} /, 8000), /^535 5\.7\.8 /);
      await s.command('MAIL FROM:<sender@remote.test>', /^250 /);
      assert.match(await s.command('RCPT TO:<alice@example.com>', /^\d{3} /, 8000), /^250 /);
      await s.command('QUIT', /^221 /);
    } finally {
      s.close();
    }
    const session = sinkA.sessions.at(-1)!;
    const xclient = session.commands.find((c) => c.startsWith('XCLIENT'));
    assert.ok(xclient, session.commands.join('\n'));
    assert.ok(!xclient.includes('LOGIN='), xclient);
    const mx = await postern.waitForDecision((d) => d.method === 'none', { since });
    assert.equal(mx.user, '', 'the stale Auth-User was ignored');
  });
});

describe('logs', () => {
  test('every decision is one JSON line with a stable reason, and no password appears anywhere', () => {
    const lines = postern.decisions();
    assert.ok(lines.length > 20);
    for (const l of lines) {
      for (const key of ['time', 'protocol', 'method', 'client_ip', 'result', 'reason', 'latency_ms']) assert.ok(key in l, `${key} in ${JSON.stringify(l)}`);
    }
    const out = postern.output();
    for (const secret of ['alice secret', 'bob secret', 'carol secret', ODD_PASS, 'ss%41', postern.secret]) assert.ok(!out.includes(secret), `"${secret}" leaked into the log`);
  });
});
