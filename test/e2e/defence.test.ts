/**
 * The defence through real nginx: Auth-Wait growing and capped, the connection closed after
 * the attempt cap, a stale-password client left alone, the owner still logging in while their
 * account is under attack from elsewhere, a ban listed and lifted with the CLI, and AUTH on the
 * inbound-mail listener refused. Clients connect from several 127.0.0.x addresses, which nginx
 * reports as Client-IP; subnets are /32 here so each address is its own network. The Dovecot
 * backend trusts the proxy, so every verdict seen here is Postern's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rawSession, startDovecot, startNginx, type DovecotHandle, type NginxHandle, type RawSession } from '../harness/index.js';
import { startPostern, type PosternHandle } from '../harness/postern.js';

let dovecot: DovecotHandle;
let postern: PosternHandle;
let nginx: NginxHandle;

before(async () => {
  dovecot = await startDovecot({
    label: 'dovecot-defence',
    protocols: ['imap'],
    users: [
      { user: 'alice@example.com', password: 'unused' },
      { user: 'carol@example.com', password: 'unused' },
      { user: 'dave@example.com', password: 'unused' },
    ],
    extra: ['passdb {', '  driver = static', '  args = nopassword=y allow_real_nets=127.0.0.1/32', '}'],
  });
  postern = await startPostern({
    env: {
      POSTERN_AUTH_FAILURE_WAIT_SECONDS: '1',
      POSTERN_AUTH_MAX_ATTEMPTS: '4',
      POSTERN_DEFENCE_PENALTY_MAX_SECONDS: '4',
      POSTERN_DEFENCE_IPV4_PREFIX: '32',
      POSTERN_DEFENCE_ACCOUNT_LIMIT: '3',
      POSTERN_DEFENCE_UNKNOWN_USERS_LIMIT: '2',
    },
    setup: async (dir) => {
      await dir.addDomain('example.com');
      await dir.addBackend({ name: 'dovecot', host: '127.0.0.1', ports: { imap: dovecot.ports.imap, smtp: 9 } });
      await dir.setRoute('default', null, 'dovecot');
      await dir.addMailbox({ address: 'alice@example.com', passwordHash: '{PLAIN}alice-pw' });
      await dir.addMailbox({ address: 'carol@example.com', passwordHash: '{PLAIN}carol-pw' });
      await dir.addMailbox({ address: 'dave@example.com', passwordHash: '{PLAIN}dave-pw' });
    },
  });
  nginx = await startNginx({
    authHttp: postern.authUrl,
    authHttpHeaders: { 'X-Postern-Secret': postern.secret },
    listeners: [
      { protocol: 'imap', auth: ['plain', 'login'] },
      { protocol: 'smtp', name: 'mx', auth: ['none'], xclient: false, authHttp: `${postern.authUrl}/mx` },
    ],
  });
});

after(async () => {
  await Promise.allSettled([nginx?.stop(), postern?.stop()]);
  await dovecot?.stop();
});

async function imapFrom(ip: string): Promise<RawSession> {
  const s = await rawSession(nginx.ports.imap!, { localAddress: ip });
  await s.expect(/^\* OK/);
  return s;
}

/** One LOGIN on a session: the tagged reply and how long nginx took to send it. */
async function login(s: RawSession, tag: string, user: string, pass: string): Promise<{ reply: string; seconds: number }> {
  const t0 = Date.now();
  const reply = await s.command(`${tag} LOGIN ${user} ${pass}`, new RegExp(`^${tag} `), 10_000);
  return { reply: reply.slice(tag.length + 1), seconds: (Date.now() - t0) / 1000 };
}

async function loginOnce(ip: string, user: string, pass: string): Promise<{ reply: string; seconds: number }> {
  const s = await imapFrom(ip);
  try {
    return await login(s, 'a1', user, pass);
  } finally {
    s.close();
  }
}

const INVALID = 'NO [AUTHENTICATIONFAILED] Invalid login or password';

test('Auth-Wait grows per failure up to the cap, and after max_attempts nginx closes the connection', async () => {
  const s = await imapFrom('127.0.0.10');
  try {
    const seen = [];
    for (let i = 1; i <= 3; i++) seen.push(await login(s, `a${i}`, 'dave@example.com', `wrong${i}`));
    assert.deepEqual(seen.map((x) => x.reply), [INVALID, INVALID, INVALID]);
    const [w1, w2, w3] = seen.map((x) => x.seconds) as [number, number, number];
    assert.ok(w1 >= 0.9 && w1 < 1.9, `first delay ${w1}s ≈ 1 s`);
    assert.ok(w2 >= 1.9 && w2 < 2.9, `second delay ${w2}s ≈ 2 s`);
    assert.ok(w3 >= 3.9 && w3 < 4.9, `third delay ${w3}s ≈ 4 s (the cap)`);
    const fourth = await login(s, 'a4', 'dave@example.com', 'wrong4');
    assert.equal(fourth.reply, INVALID);
    assert.ok(fourth.seconds < 0.9, `the 4th attempt (max_attempts) is answered at once (${fourth.seconds}s)`);
    assert.ok(await s.waitClosed(3000), 'and nginx closes the connection');
  } finally {
    s.close();
  }
});

test('a client retrying one stale password is delayed no more and never banned', async () => {
  for (let i = 0; i < 4; i++) {
    const r = await loginOnce('127.0.0.11', 'carol@example.com', 'old-password');
    assert.equal(r.reply, INVALID);
    assert.ok(r.seconds < 1.9, `attempt ${i + 1}: ${r.seconds}s, the base delay only`);
  }
  assert.match((await loginOnce('127.0.0.11', 'carol@example.com', 'carol-pw')).reply, /^OK/);
  const list = await postern.cli(['bans', 'list']);
  assert.ok(!list.stdout.includes('127.0.0.11') && !list.stdout.includes('carol@'), list.stdout);
});

test('an attack on an account from elsewhere does not lock its owner out', async () => {
  assert.match((await loginOnce('127.0.0.1', 'alice@example.com', 'alice-pw')).reply, /^OK/, 'the owner, from home');
  for (const [i, ip] of ['127.0.0.21', '127.0.0.22', '127.0.0.23'].entries()) {
    assert.equal((await loginOnce(ip, 'alice@example.com', `guess-${i}`)).reply, INVALID);
  }
  await postern.waitForDecision((d) => d.reason === 'bad-credentials' && d.client_ip === '127.0.0.23');
  const list = await postern.cli(['bans', 'list']);
  assert.match(list.stdout, /account\s+alice@example\.com\s+3 different wrong passwords/);
  assert.equal((await loginOnce('127.0.0.24', 'alice@example.com', 'alice-pw')).reply, INVALID, 'the right password from elsewhere is refused, looking like any failure');
  assert.equal((await postern.waitForDecision((d) => d.client_ip === '127.0.0.24')).reason, 'account-protected');
  assert.match((await loginOnce('127.0.0.1', 'alice@example.com', 'alice-pw')).reply, /^OK/, 'the owner still gets in');
});

test('enumerating users gets the client banned; "postern bans lift" lets it back in', async () => {
  for (const user of ['nobody1@example.com', 'nobody2@example.com']) {
    assert.equal((await loginOnce('127.0.0.30', user, 'x')).reply, INVALID);
  }
  await postern.waitForDecision((d) => d.user === 'nobody2@example.com');
  const banned = await loginOnce('127.0.0.30', 'carol@example.com', 'carol-pw');
  assert.equal(banned.reply, 'NO [UNAVAILABLE] Too many failed logins; try again later');
  const list = await postern.cli(['bans', 'list']);
  assert.match(list.stdout, /subnet\s+127\.0\.0\.30\/32\s+2 unknown user names tried/);
  const lift = await postern.cli(['bans', 'lift', '127.0.0.30/32']);
  assert.equal(lift.code, 0, lift.stderr);
  assert.match(lift.stdout, /lifted 1 ban/);
  assert.match((await loginOnce('127.0.0.30', 'carol@example.com', 'carol-pw')).reply, /^OK/);
});

test('AUTH on the inbound-mail listener is refused and counted', async () => {
  const s = await rawSession(nginx.ports.mx!, { localAddress: '127.0.0.40' });
  try {
    await s.expect(/^220 /);
    await s.command('EHLO attacker.test', /^250 /);
    const reply = await s.command(`AUTH PLAIN ${Buffer.from('\0alice@example.com\0alice-pw').toString('base64')}`, /^\d{3} /, 8000);
    assert.equal(reply, '502 5.5.1 Authentication not available on this port');
  } finally {
    s.close();
  }
  const d = await postern.waitForDecision((l) => l.client_ip === '127.0.0.40');
  assert.deepEqual([d.reason, d.result], ['mx-auth-refused', 'fail']);
});
