/**
 * The auth cache through real nginx: a repeated login is answered without hashing, and a
 * password changed with the CLI while `postern serve` runs takes effect at once (the old
 * password fails on the very next login). The Dovecot backend trusts the proxy (a static
 * passdb limited to 127.0.0.1), so every verdict seen here is Postern's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runImapClient, startDovecot, startNginx, type DovecotHandle, type NginxHandle } from '../harness/index.js';
import { startPostern, type PosternHandle } from '../harness/postern.js';
import { hashPassword } from '../../src/passwords/index.js';

let dovecot: DovecotHandle;
let postern: PosternHandle;
let nginx: NginxHandle;

before(async () => {
  dovecot = await startDovecot({
    label: 'dovecot-cache',
    protocols: ['imap'],
    users: [{ user: 'alice@example.com', password: 'unused by this test' }],
    extra: ['passdb {', '  driver = static', '  args = nopassword=y allow_real_nets=127.0.0.1/32', '}'],
  });
  postern = await startPostern({
    env: { POSTERN_AUTH_FAILURE_WAIT_SECONDS: '0' },
    setup: async (dir) => {
      await dir.addDomain('example.com');
      await dir.addBackend({ name: 'dovecot', host: '127.0.0.1', ports: { imap: dovecot.ports.imap } });
      await dir.setRoute('default', null, 'dovecot');
      await dir.addMailbox({ address: 'alice@example.com', passwordHash: await hashPassword('first password') });
    },
  });
  nginx = await startNginx({
    authHttp: postern.authUrl,
    authHttpHeaders: { 'X-Postern-Secret': postern.secret },
    listeners: [{ protocol: 'imap', auth: ['plain', 'login'] }],
  });
});

after(async () => {
  await Promise.allSettled([nginx?.stop(), postern?.stop()]);
  await dovecot?.stop();
});

async function login(password: string): Promise<{ ok: boolean; tagged: string | null | undefined; decision: Record<string, unknown> }> {
  const since = postern.logs.length;
  const res = await runImapClient({ port: nginx.ports.imap!, user: 'alice@example.com', password });
  const decision = await postern.waitForDecision(() => true, { since });
  return { ok: res.ok, tagged: res.login?.tagged?.replace(/^\S+ /, ''), decision };
}

test('a repeated login is a cache hit; a password changed with the CLI applies to the very next login', async () => {
  const first = await login('first password');
  assert.ok(first.ok);
  assert.deepEqual([first.decision.reason, first.decision.cache], ['ok', undefined]);
  const again = await login('first password');
  assert.ok(again.ok);
  assert.deepEqual([again.decision.reason, again.decision.cache], ['ok', 'hit']);

  const change = await postern.cli(['mailbox', 'change', 'alice@example.com', '--password-stdin'], { input: 'second password\n' });
  assert.equal(change.code, 0, change.stderr);

  const old = await login('first password');
  assert.equal(old.ok, false);
  assert.equal(old.tagged, 'NO [AUTHENTICATIONFAILED] Invalid login or password');
  assert.deepEqual([old.decision.reason, old.decision.cache], ['bad-credentials', undefined]);
  const fresh = await login('second password');
  assert.ok(fresh.ok);
  assert.deepEqual([fresh.decision.reason, fresh.decision.cache], ['ok', undefined]);
  assert.equal((await login('second password')).decision.cache, 'hit');
});
