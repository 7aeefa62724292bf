/**
 * SMTP's Client-Host from DNS (nginx `resolver`; nginx-auth-http.md §1.3 row 9): a real DNS
 * server (dnsmasq) holds a PTR that leads back to the client, one whose name points elsewhere,
 * one whose name is not a host name, one whose forward lookups go unanswered, and none. swaks
 * connects from each of those loopback addresses to Debian's nginx 1.22 (with `resolver`) and
 * to Postern's proxy (with `resolver = [...]`), both inbound-mail listeners asking the same
 * recording auth server at the first RCPT; the Client-Host each sent must be the expected one,
 * and the same.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePorts, runSwaks, startNginx, type NginxHandle } from '../harness/index.js';
import { startAuthRecorder, type AuthRecorderHandle } from '../harness/auth-recorder.js';
import { startDnsmasq, type DnsmasqHandle } from '../harness/dnsmasq.js';
import { startPostern, type PosternHandle } from '../harness/postern.js';

/** The client's source address → the Client-Host both proxies must send. */
const CASES: Array<{ why: string; from: string; host: string }> = [
  { why: 'the PTR name leads back to the client', from: '127.0.0.2', host: 'good.client.test' },
  { why: 'the PTR name\'s address is another one', from: '127.0.0.3', host: '[UNAVAILABLE]' },
  { why: 'no PTR (NXDOMAIN)', from: '127.0.0.4', host: '[UNAVAILABLE]' },
  { why: 'the PTR name holds a character no host name has', from: '127.0.0.5', host: '[TEMPUNAVAIL]' },
  { why: 'the PTR name\'s forward lookups time out', from: '127.0.0.6', host: '[TEMPUNAVAIL]' },
];

let dns: DnsmasqHandle;
let recorder: AuthRecorderHandle;
let nginx: NginxHandle;
let postern: PosternHandle;
let posternPort = 0;

before(async () => {
  dns = await startDnsmasq({
    hosts: [
      { address: '127.0.0.2', names: ['good.client.test'] },
      { address: '192.0.2.77', names: ['liar.client.test'] },
    ],
    ptr: [
      { address: '127.0.0.3', name: 'liar.client.test' },
      { address: '127.0.0.5', name: 'bad_name.client.test' },
      { address: '127.0.0.6', name: 'slow.unanswered.example' },
    ],
    unanswered: ['unanswered.example'],
  });
  recorder = await startAuthRecorder({ reply: { 'Auth-Status': 'mailbox unknown', 'Auth-Error-Code': '550 5.1.1' } });
  [posternPort] = (await freePorts(1)) as [number];
  // 2 s: the unanswered case waits that long for each step, in both proxies.
  nginx = await startNginx({
    label: 'nginx-client-host',
    mailExtra: [`resolver ${dns.server}`, 'resolver_timeout 2s'],
    listeners: [{ protocol: 'smtp', name: 'mx', auth: ['none'], xclient: false, authHttp: recorder.url('/mx') }],
  });
  postern = await startPostern({
    mailProxy: [
      '[mail_proxy]',
      'enabled = true',
      'server_name = "mail.test"',
      `resolver = ["${dns.server}"]`,
      'resolver_timeout_seconds = 2',
      '[[mail_proxy.listeners]]',
      'protocol = "smtp-mx"',
      `port = ${posternPort}`,
      `auth_http = "${recorder.url('/mx')}"`,
    ].join('\n'),
  });
});

after(async () => {
  await Promise.allSettled([nginx?.stop(), postern?.stop()]);
  await Promise.allSettled([recorder?.stop(), dns?.stop()]);
});

/** One inbound message from `from`, up to the first RCPT; the Client-Host the auth server got. */
async function clientHost(port: number, from: string): Promise<string> {
  const before = recorder.requests.length;
  const res = await runSwaks(['--server', '127.0.0.1', '--port', String(port), '--local-interface', from, '--from', 'a@elsewhere.example', '--to', 'b@example.com', '--quit-after', 'RCPT', '--timeout', '20']);
  assert.match(res.stdout, /<\*\* 550 5\.1\.1 mailbox unknown/, `swaks: ${res.stdout}\n${res.stderr}`);
  await recorder.waitFor(before + 1);
  const lines = recorder.headerLines(before, /^Client-(IP|Host)$/);
  assert.equal(lines[0], `Client-IP: ${from}`);
  return (lines[1] ?? '').replace(/^Client-Host: /, '');
}

describe('SMTP Client-Host from a real DNS server, through nginx 1.22 and through Postern', () => {
  for (const c of CASES) {
    test(`${c.why}: ${c.host}`, async () => {
      const viaNginx = await clientHost(nginx.ports.mx!, c.from);
      const viaPostern = await clientHost(posternPort, c.from);
      assert.equal(viaNginx, c.host, 'nginx (the reference)');
      assert.equal(viaPostern, c.host, 'Postern');
    });
  }

  test('the DNS server was asked by both (PTR, then A and AAAA)', () => {
    const log = dns.log();
    assert.match(log, /query\[PTR\] 2\.0\.0\.127\.in-addr\.arpa from 127\.0\.0\.1/);
    assert.match(log, /query\[A\] good\.client\.test from 127\.0\.0\.1/);
    assert.match(log, /query\[AAAA\] good\.client\.test from 127\.0\.0\.1/);
  });
});
