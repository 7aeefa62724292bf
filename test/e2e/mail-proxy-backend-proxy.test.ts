/**
 * The PROXY protocol to a real backend (`backend_proxy_protocol`): Dovecot 2.3 with
 * `haproxy = yes` on its listeners and Postern's address in `haproxy_trusted_networks` logs
 * the address the client really came from (rip=), not Postern's. curl connects from 127.0.0.2
 * and 127.0.0.3 (Postern talks to Dovecot from 127.0.0.1): IMAP with a v2 header, POP3 with v1.
 * A connection without a header is refused by that Dovecot, so the header is what lets the
 * logins through.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePorts, rawSession, runCurl, startDovecot, type DovecotHandle } from '../harness/index.js';
import { startPostern, type PosternHandle } from '../harness/postern.js';
import { hashPassword } from '../../src/passwords/index.js';

const ALICE = 'alice@example.com';
const ALICE_PASS = 'alice secret';

let dovecot: DovecotHandle;
let postern: PosternHandle;
let imapPort = 0;
let pop3Port = 0;

before(async () => {
  dovecot = await startDovecot({ label: 'dovecot-haproxy', users: [{ user: ALICE, password: ALICE_PASS }], haproxy: { trustedNetworks: ['127.0.0.1'] } });
  dovecot.deliver(ALICE, 'From: a@example.com\r\nSubject: behind a PROXY header\r\n\r\nbody\r\n');
  [imapPort, pop3Port] = (await freePorts(2)) as [number, number];
  postern = await startPostern({
    mailProxy: [
      '[mail_proxy]',
      'enabled = true',
      '[[mail_proxy.listeners]]',
      'protocol = "imap"',
      `port = ${imapPort}`,
      'backend_proxy_protocol = "v2"',
      '[[mail_proxy.listeners]]',
      'protocol = "pop3"',
      `port = ${pop3Port}`,
      'backend_proxy_protocol = "v1"',
    ].join('\n'),
    setup: async (dir) => {
      await dir.addDomain('example.com');
      await dir.addBackend({ name: 'dovecot', host: '127.0.0.1', ports: { imap: dovecot.ports.imap, pop3: dovecot.ports.pop3 } });
      await dir.setRoute('default', null, 'dovecot');
      await dir.addMailbox({ address: ALICE, passwordHash: await hashPassword(ALICE_PASS) });
    },
  });
});

after(async () => {
  await postern?.stop();
  await dovecot?.stop();
});

/** Dovecot's login lines for `proto` (imap-login / pop3-login). */
const logins = (proto: 'imap' | 'pop3'): string[] => dovecot.log().split('\n').filter((l) => l.includes(`${proto}-login: Info: Login: user=<${ALICE}>`));

async function waitForLogin(proto: 'imap' | 'pop3', count: number): Promise<string> {
  const deadline = Date.now() + 5000;
  while (logins(proto).length < count) {
    if (Date.now() > deadline) throw new Error(`no ${proto} login line in Dovecot's log:\n${dovecot.log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return logins(proto)[count - 1]!;
}

describe('a PROXY header to Dovecot carries the client\'s address', () => {
  test('IMAP with a v2 header: Dovecot logs rip=127.0.0.2, the client, not Postern\'s 127.0.0.1', async () => {
    const curl = await runCurl(['-sS', '--max-time', '10', '--interface', '127.0.0.2', '-u', `${ALICE}:${ALICE_PASS}`, `imap://127.0.0.1:${imapPort}/INBOX;UID=1`]);
    assert.equal(curl.code, 0, curl.stderr);
    assert.match(curl.stdout, /Subject: behind a PROXY header/);
    const line = await waitForLogin('imap', 1);
    assert.match(line, /rip=127\.0\.0\.2, lip=127\.0\.0\.1,/, line);
  });

  test('POP3 with a v1 header: rip=127.0.0.3', async () => {
    const curl = await runCurl(['-sS', '--max-time', '10', '--interface', '127.0.0.3', '-u', `${ALICE}:${ALICE_PASS}`, `pop3://127.0.0.1:${pop3Port}/1`]);
    assert.equal(curl.code, 0, curl.stderr);
    assert.match(curl.stdout, /Subject: behind a PROXY header/);
    const line = await waitForLogin('pop3', 1);
    assert.match(line, /rip=127\.0\.0\.3, lip=127\.0\.0\.1,/, line);
  });

  test('without a header this Dovecot takes no login (so the header above was read)', async () => {
    const s = await rawSession(dovecot.ports.imap);
    try {
      s.send(`a1 LOGIN ${ALICE} "${ALICE_PASS}"`);
      assert.ok(await s.waitClosed(8000), `Dovecot answered: ${s.lines.join(' | ')}`);
      assert.ok(!s.lines.some((l) => /^a1 OK/.test(l)), s.lines.join(' | '));
    } finally {
      s.close();
    }
  });
});
