/**
 * Starting the mail proxy from the configuration: where it listens, and start-up mistakes
 * (unreadable certificate, a taken port) stopping the start with a message naming the setting.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initConfig } from '../../config/init.js';
import { loadConfig } from '../../config/load.js';
import { createLogger } from '../../log/logger.js';
import { startMailProxy } from './index.js';
import { fakeSession, LineClient } from './test-support.js';
import { SERVER_CERT, SERVER_KEY, TEST_CA } from './testdata/certs.js';

let dir: string;
const log = createLogger('silent');
// Never asked here: no test logs in.
const answer = async (): Promise<void> => undefined;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'postern-mp-start-'));
  writeFileSync(join(dir, 'cert.pem'), SERVER_CERT);
  writeFileSync(join(dir, 'key.pem'), SERVER_KEY);
});
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function config(toml: string) {
  const sub = join(dir, String(++n));
  const file = join(sub, 'postern.toml');
  initConfig(file);
  appendFileSync(file, `\n[mail_proxy]\nenabled = true\ntls_cert_file = "../cert.pem"\ntls_key_file = "../key.pem"\n${toml}\n`);
  return loadConfig(file, {});
}

test('listens where configured and serves the session over TLS', async () => {
  const cfg = config('[[mail_proxy.listeners]]\nprotocol = "pop3"\nport = 0\ntls = "implicit"\n[[mail_proxy.listeners]]\nprotocol = "imap"\nport = 0');
  const proxy = await startMailProxy(cfg, { log, answer, sessions: () => (facts) => fakeSession(facts) });
  try {
    assert.deepEqual(
      proxy.listening.map((l) => [l.protocol, l.tls, l.address]),
      [
        ['pop3', 'implicit', '127.0.0.1'],
        ['imap', 'none', '127.0.0.1'],
      ],
    );
    const c = await LineClient.connectTls(proxy.listening[0]!.port, TEST_CA);
    await c.waitFor(/^\+OK fake ready/);
    c.close();
  } finally {
    await proxy.close();
  }
});

test('an unreadable certificate or a taken port stops the start, naming the setting', async () => {
  const cfg = config('[[mail_proxy.listeners]]\nprotocol = "imap"\nport = 0\ntls = "starttls"');
  await assert.rejects(startMailProxy({ ...cfg, mail_proxy: { ...cfg.mail_proxy, tls_cert_file: join(dir, 'nope.pem') } }, { log, answer }), /^Error: mail_proxy\.tls_cert_file: cannot read .*nope\.pem \(ENOENT\)/);

  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  const port = (taken.address() as net.AddressInfo).port;
  try {
    const busy = config(`[[mail_proxy.listeners]]\nprotocol = "imap"\nport = ${port}`);
    await assert.rejects(startMailProxy(busy, { log, answer }), new RegExp(`mail_proxy: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`));
  } finally {
    taken.close();
  }
});
