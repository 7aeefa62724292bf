// test/e2e/harness-smoke.test.ts
// Proves the e2e harness: Dovecot + an SMTP sink + nginx whose auth_http points at nginx's
// OWN static http auth locations (one per protocol). Real clients (curl, imaplib, poplib,
// swaks, a raw line session) go through nginx; afterwards every process is gone.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startDovecot, type DovecotHandle } from '../harness/dovecot.js';
import { startNginx, type NginxHandle } from '../harness/nginx.js';
import { startSmtpSink, type SmtpSinkHandle } from '../harness/smtp-sink.js';
import { rawSession, runCurl, runImapClient, runPop3Client, runSwaks } from '../harness/clients.js';
import { canConnect } from '../harness/ports.js';
import { isAlive } from '../harness/processes.js';

const USERS = {
  alice: 'alice-pw',
  bob: 'bob pw %41',
  carol: 'pässwörd "✓" \\ end',
} as const;

let dovecot: DovecotHandle | undefined;
let sink: SmtpSinkHandle | undefined;
let nginx: NginxHandle | undefined;

async function stopAll(): Promise<void> {
  await Promise.allSettled([nginx?.stop(), dovecot?.stop(), sink?.stop()]);
}

before(async () => {
  dovecot = await startDovecot({
    users: Object.entries(USERS).map(([user, password]) => ({ user, password })),
    loginGreeting: 'Smoke backend ready',
  });
  sink = await startSmtpSink({ xclient: false });
  nginx = await startNginx({
    staticAuth: {
      routes: [
        { path: '/auth-imap', port: dovecot.ports.imap },
        { path: '/auth-pop3', port: dovecot.ports.pop3 },
        { path: '/auth-smtp', port: sink.port },
        { path: '/auth-deny', status: 'Invalid login or password' },
      ],
    },
    authHttpHeaders: { 'X-Auth-Key': 'smoke secret' },
    authHttpTimeout: '5s',
    listeners: [
      { protocol: 'imap', authHttp: '/auth-imap', auth: ['plain', 'login'] },
      { protocol: 'imap', name: 'imaps', authHttp: '/auth-imap', ssl: true },
      { protocol: 'imap', name: 'deny', authHttp: '/auth-deny' },
      { protocol: 'pop3', authHttp: '/auth-pop3' },
      { protocol: 'smtp', authHttp: '/auth-smtp', xclient: false, auth: ['plain', 'login'] },
    ],
  });
});

after(stopAll);

function handles(): { dv: DovecotHandle; ng: NginxHandle; sk: SmtpSinkHandle } {
  assert.ok(dovecot && nginx && sink, 'servers started');
  return { dv: dovecot, ng: nginx, sk: sink };
}

function port(ng: NginxHandle, name: string): number {
  const p = ng.ports[name];
  assert.ok(p !== undefined, `listener ${name}`);
  return p;
}

test('curl logs in to IMAP through nginx and lists INBOX', async () => {
  const { ng } = handles();
  const r = await runCurl(['-sS', '--max-time', '10', `imap://127.0.0.1:${port(ng, 'imap')}/`, '-u', `alice:${USERS.alice}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\* LIST \([^)]*\) "\." INBOX/);

  const tls = await runCurl(['-sS', '-k', '--max-time', '10', `imaps://127.0.0.1:${port(ng, 'imaps')}/`, '-u', `alice:${USERS.alice}`]);
  assert.equal(tls.code, 0, tls.stderr);
  assert.match(tls.stdout, /INBOX/);
});

test('imaplib LOGIN through nginx fetches a delivered message (ASCII and UTF-8 credentials)', async () => {
  const { ng, dv } = handles();
  dv.deliver('alice', 'From: a@x.test\r\nTo: alice@x.test\r\nSubject: smoke for alice\r\n\r\nhello\r\n');
  dv.deliver('carol', 'From: a@x.test\r\nTo: carol@x.test\r\nSubject: =?utf-8?q?f=C3=BCr_carol?=\r\n\r\nhello\r\n');

  const a = await runImapClient({ port: port(ng, 'imap'), user: 'alice', password: USERS.alice, fetch: true });
  assert.equal(a.ok, true, JSON.stringify(a));
  assert.equal(a.login?.mode, 'imaplib');
  assert.deepEqual(a.messages?.map((m) => m.subject), ['smoke for alice']);

  // UTF-8, quotes, backslash: LOGIN with literals, then AUTHENTICATE PLAIN.
  const c = await runImapClient({ port: port(ng, 'imap'), user: 'carol', password: USERS.carol, fetch: true });
  assert.equal(c.ok, true, JSON.stringify(c));
  assert.equal(c.login?.mode, 'literal');
  assert.deepEqual(c.messages?.map((m) => m.subject), ['für carol']);
  const p = await runImapClient({ port: port(ng, 'imap'), user: 'carol', password: USERS.carol, mech: 'plain', select: 'INBOX' });
  assert.equal(p.ok, true, JSON.stringify(p));
  assert.equal(p.select?.exists, 1);
});

test('POP3 through nginx: USER/PASS, STAT, RETR', async () => {
  const { ng, dv } = handles();
  dv.deliver('bob', 'From: a@x.test\r\nTo: bob@x.test\r\nSubject: smoke for bob\r\n\r\nhello bob\r\n');
  const r = await runPop3Client({ port: port(ng, 'pop3'), user: 'bob', password: USERS.bob });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.login?.reply.startsWith('+OK'), true);
  assert.equal(r.stat?.count, 1);
  assert.equal(r.retr?.subject, 'smoke for bob');
});

test('swaks through nginx SMTP (xclient off) delivers to the sink', async () => {
  const { ng, sk } = handles();
  const r = await runSwaks([
    '--server', `127.0.0.1:${port(ng, 'smtp')}`,
    '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', USERS.alice,
    '--from', 'alice@x.test', '--to', 'bob@y.test', '--h-Subject', 'smoke via swaks',
    '--timeout', '10',
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const [m] = await sk.waitForMessages(1);
  assert.ok(m);
  assert.equal(m.mailFrom, 'alice@x.test');
  assert.deepEqual(m.rcptTo, ['bob@y.test']);
  assert.match(m.text, /^Subject: smoke via swaks\r$/m);
  const s = sk.sessions.find((x) => x.id === m.sessionId);
  assert.ok(s);
  // xclient off: nginx says EHLO <server_name>, never XCLIENT, and the sink learns no user.
  assert.equal(s.commands[0], 'EHLO mail.test');
  assert.equal(s.commands.some((c) => c.startsWith('XCLIENT')), false);
  assert.equal(m.user, undefined);
});

test('raw session sees the exact bytes of a refused login, and nginx logs it', async () => {
  const { ng } = handles();
  const s = await rawSession(port(ng, 'deny'));
  assert.equal(await s.readLine(), '* OK IMAP4 ready');
  assert.equal(await s.command('a1 LOGIN alice secret', /^a1 /), 'a1 NO Invalid login or password');
  assert.equal(await s.waitClosed(3000), true);
  assert.match(ng.errorLog(), /client login failed: "Invalid login or password"/);
});

test('stop() ends every process it started and removes the folders', async () => {
  const { dv, ng, sk } = handles();
  const pids = [...ng.pids(), ...dv.pids()];
  assert.ok(pids.length >= 3, `expected nginx master+worker and dovecot processes, got ${pids.join(',')}`);
  const ports = [...Object.values(ng.ports), dv.ports.imap, dv.ports.pop3, sk.port];
  await Promise.all([ng.stop(), dv.stop(), sk.stop()]);
  await Promise.all([ng.stop(), dv.stop(), sk.stop()]); // idempotent
  assert.deepEqual(pids.filter(isAlive), []);
  assert.equal(existsSync(ng.dir), false);
  assert.equal(existsSync(dv.dir), false);
  for (const p of ports) assert.equal(await canConnect(p), false, `port ${p} still open`);
});
