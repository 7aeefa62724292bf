/**
 * End to end: how `postern serve` stops its mail proxy on SIGTERM, and the PROXY protocol from a
 * trusted balancer. A connection not logged in is closed at once, a logged-in IMAP session keeps
 * working through the grace period and is then cut, no new connection is accepted, and the
 * process exits by itself well before the harness would SIGKILL it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { freePorts, rawSession, startDovecot, type DovecotHandle } from '../harness/index.js';
import { startPostern, type PosternHandle } from '../harness/postern.js';
import { hashPassword } from '../../src/passwords/index.js';

let dovecot: DovecotHandle;
let postern: PosternHandle;
let imap: number;
let proxied: number;

before(async () => {
  dovecot = await startDovecot({ label: 'dovecot-shutdown', users: [{ user: 'alice@example.com', password: 'alice secret' }] });
  [imap, proxied] = (await freePorts(2)) as [number, number];
  postern = await startPostern({
    mailProxy: [
      '[mail_proxy]',
      'enabled = true',
      'shutdown_grace_seconds = 2',
      'trusted_proxies = ["127.0.0.1"]',
      '[[mail_proxy.listeners]]',
      'protocol = "imap"',
      `port = ${imap}`,
      '[[mail_proxy.listeners]]',
      'protocol = "imap"',
      `port = ${proxied}`,
      'proxy_protocol = true',
    ].join('\n'),
    setup: async (dir) => {
      await dir.addDomain('example.com');
      await dir.addBackend({ name: 'dovecot', host: '127.0.0.1', ports: { imap: dovecot.ports.imap } });
      await dir.setRoute('default', null, 'dovecot');
      await dir.addMailbox({ address: 'alice@example.com', passwordHash: await hashPassword('alice secret') });
    },
  });
});

after(async () => {
  await postern?.stop();
  await dovecot?.stop();
});

test('a trusted balancer\'s PROXY header gives the client address the auth server sees', async () => {
  const s = await rawSession(proxied);
  try {
    s.sendRaw('PROXY TCP4 203.0.113.50 127.0.0.1 40000 143\r\n');
    await s.expect(/^\* OK/);
    assert.match(await s.command('a1 LOGIN alice@example.com "alice secret"', /^a1 /, 8000), /^a1 OK/);
  } finally {
    s.close();
  }
  const d = await postern.waitForDecision((l) => l.user === 'alice@example.com' && l.client_ip === '203.0.113.50');
  assert.equal(d.result, 'ok');
});

test('SIGTERM: idle connections close at once, logged-in ones get the grace period, then the process exits', async () => {
  const idle = await rawSession(imap);
  await idle.expect(/^\* OK/);
  const busy = await rawSession(imap);
  await busy.expect(/^\* OK/);
  assert.match(await busy.command('a1 LOGIN alice@example.com "alice secret"', /^a1 /, 8000), /^a1 OK/);
  const t0 = Date.now();
  const stopping = postern.stop();
  try {
    assert.ok(await idle.waitClosed(1500), 'a connection not logged in is closed at once');
    assert.match(await busy.command('a2 NOOP', /^a2 /), /^a2 OK/, 'the logged-in session still works during the grace period');
    const refused = await new Promise<boolean>((resolve) => {
      const c = connect({ host: '127.0.0.1', port: imap });
      c.once('connect', () => c.once('close', () => resolve(false)).end());
      c.once('error', () => resolve(true));
    });
    assert.ok(refused, 'no new connections');
    assert.ok(await busy.waitClosed(4000), 'cut after the grace period');
    await stopping;
    const took = Date.now() - t0;
    assert.ok(took >= 1800 && took < 4500, `stopped in ${took} ms`);
  } finally {
    idle.close();
    busy.close();
  }
  assert.ok(postern.logs.some((l) => l.event === 'stopping'));
});
