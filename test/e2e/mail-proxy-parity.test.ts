/**
 * The parity table (issue 6): the same client scenarios, byte for byte, through Debian's nginx
 * 1.22 mail proxy and through Postern's own proxy, both asking the same auth server (Postern's
 * auth_http endpoint, over HTTP) and both in front of the same Dovecot and SMTP backend. Each
 * scenario is a script of client lines; the lines each proxy sends back (and for SMTP what the
 * backend was told) must be the same. Where nginx 1.22 is wrong, the scenario names the
 * difference and asserts both sides of it, so a change on either side shows here.
 *
 * Client certificates (nginx `ssl_verify_client`, `auth_http_pass_client_cert`): IMAP listeners
 * with implicit TLS in each mode, and one with STARTTLS, ask a recording tap in front of the
 * same auth server; besides the lines, the Auth-SSL-* headers each proxy sent must be the same,
 * byte for byte (TLSv1.3 allowed on the nginx side so both negotiate the same protocol and
 * cipher: nginx 1.22's mail default is TLSv1 to TLSv1.2).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../harness/clients.js';
import {
  freePorts,
  makeSelfSignedCert,
  makeTestCa,
  rawSession,
  runImapClient,
  startDovecot,
  startNginx,
  startSmtpSink,
  type DovecotHandle,
  type NginxHandle,
  type SmtpSinkHandle,
  type TestCa,
  type TestCert,
} from '../harness/index.js';
import { startAuthRecorder, type AuthRecorderHandle } from '../harness/auth-recorder.js';
import { startPostern, type PosternHandle } from '../harness/postern.js';
import { hashPassword } from '../../src/passwords/index.js';

type Service = 'imap' | 'pop3' | 'smtp' | 'mx' | CertService;
/** Implicit-TLS IMAP listeners in each `ssl_verify_client` mode, and STARTTLS with `on`. */
type CertService = 'imapsNoCa' | 'imapsOn' | 'imapsOptional' | 'imapStarttlsOn';
const CERT_SERVICES: CertService[] = ['imapsNoCa', 'imapsOn', 'imapsOptional', 'imapStarttlsOn'];

interface Step {
  /** A client line (CRLF added). */
  send?: string;
  /** Read up to the line that matches, or until the proxy closes. */
  upto: RegExp | 'close';
}

interface Scenario {
  name: string;
  service: Service;
  steps: Step[];
  /**
   * A known difference: nginx 1.22's lines and Postern's, each as received (normalised).
   * Without it, both transcripts must be equal.
   */
  differs?: { why: string; nginx: (lines: string[]) => void; postern: (lines: string[]) => void };
  /** Implicit TLS, presenting this client certificate (or none). */
  tls?: { cert?: () => TestCert };
  /** The auth request's Auth-SSL-Verify; then every Auth-SSL-* header must be the same on both sides. */
  authSsl?: RegExp;
  /** No greeting: this one line, then the proxy closes (a refused certificate). */
  refused?: string;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const ALICE = 'alice@example.com';
const ALICE_PASS = 'alice secret';
const greeting = (service: Service): Step => ({ upto: service === 'pop3' ? /^\+OK/ : service === 'smtp' || service === 'mx' ? /^220 / : /^\* OK/ });
const ehlo = (name = 'client.test'): Step => ({ send: `EHLO ${name}`, upto: /^250 / });

const SCENARIOS: Scenario[] = [
  // IMAP
  { name: 'IMAP CAPABILITY, NOOP, LOGOUT', service: 'imap', steps: [{ send: 'a1 CAPABILITY', upto: /^a1 / }, { send: 'a2 NOOP', upto: /^a2 / }, { send: 'a3 LOGOUT', upto: 'close' }] },
  { name: 'IMAP LOGIN, EXAMINE, LOGOUT', service: 'imap', steps: [{ send: `a1 LOGIN ${ALICE} "${ALICE_PASS}"`, upto: /^a1 / }, { send: 'a2 EXAMINE INBOX', upto: /^a2 / }, { send: 'a3 LOGOUT', upto: 'close' }] },
  { name: 'IMAP LOGIN with literals', service: 'imap', steps: [{ send: `a1 LOGIN {${ALICE.length}}`, upto: /^\+ / }, { send: `${ALICE} {${ALICE_PASS.length}}`, upto: /^\+ / }, { send: ALICE_PASS, upto: /^a1 / }, { send: 'a2 LOGOUT', upto: 'close' }] },
  { name: 'IMAP wrong password, then LOGOUT', service: 'imap', steps: [{ send: `a1 LOGIN ${ALICE} wrong`, upto: /^a1 / }, { send: 'a2 LOGOUT', upto: 'close' }] },
  { name: 'IMAP unknown user', service: 'imap', steps: [{ send: 'a1 LOGIN nobody@example.com whatever', upto: /^a1 / }, { send: 'a2 LOGOUT', upto: 'close' }] },
  { name: 'IMAP AUTHENTICATE PLAIN with an initial response', service: 'imap', steps: [{ send: `a1 AUTHENTICATE PLAIN ${b64(`\0${ALICE}\0${ALICE_PASS}`)}`, upto: /^a1 / }, { send: 'a2 LOGOUT', upto: 'close' }] },
  { name: 'IMAP AUTHENTICATE PLAIN after the prompt', service: 'imap', steps: [{ send: 'a1 AUTHENTICATE PLAIN', upto: /^\+/ }, { send: b64(`\0${ALICE}\0${ALICE_PASS}`), upto: /^a1 / }, { send: 'a2 LOGOUT', upto: 'close' }] },
  { name: 'IMAP AUTHENTICATE LOGIN', service: 'imap', steps: [{ send: 'a1 AUTHENTICATE LOGIN', upto: /^\+/ }, { send: b64(ALICE), upto: /^\+/ }, { send: b64(ALICE_PASS), upto: /^a1 / }, { send: 'a2 LOGOUT', upto: 'close' }] },
  { name: 'IMAP cancelled AUTHENTICATE (bad base64)', service: 'imap', steps: [{ send: 'a1 AUTHENTICATE PLAIN', upto: /^\+/ }, { send: '*', upto: /BAD/ }, { send: 'a2 LOGOUT', upto: 'close' }] },
  {
    name: 'IMAP bad base64 for the LOGIN username',
    service: 'imap',
    steps: [{ send: 'a1 AUTHENTICATE LOGIN', upto: /^\+/ }, { send: '!!!', upto: /BAD/ }, { send: 'a2 LOGOUT', upto: 'close' }],
    differs: {
      why: 'nginx 1.22 answers without the tag, which is not IMAP (RFC 9051 §7.1); Postern tags it',
      nginx: (lines) => assert.equal(lines[2], 'BAD invalid command'),
      postern: (lines) => assert.equal(lines[2], 'a1 BAD invalid command'),
    },
  },
  { name: 'IMAP unknown commands until max_errors', service: 'imap', steps: [1, 2, 3, 4].map((i): Step => ({ send: `x${i} FOO`, upto: new RegExp(`^x${i} `) })).concat([{ send: 'x5 FOO', upto: 'close' }]) },
  { name: 'IMAP command without a tag', service: 'imap', steps: [{ send: 'LOGOUT', upto: /BAD/ }, { send: 'a1 LOGOUT', upto: 'close' }] },
  { name: 'IMAP unsupported mechanism', service: 'imap', steps: [{ send: 'a1 AUTHENTICATE GSSAPI', upto: /^a1 / }, { send: 'a2 LOGOUT', upto: 'close' }] },
  // POP3
  { name: 'POP3 CAPA, NOOP, QUIT', service: 'pop3', steps: [{ send: 'CAPA', upto: /^\.$/ }, { send: 'NOOP', upto: /^[+-]/ }, { send: 'QUIT', upto: 'close' }] },
  { name: 'POP3 USER, PASS, STAT, QUIT', service: 'pop3', steps: [{ send: `USER ${ALICE}`, upto: /^\+OK/ }, { send: `PASS ${ALICE_PASS}`, upto: /^[+-]/ }, { send: 'STAT', upto: /^[+-]/ }, { send: 'QUIT', upto: 'close' }] },
  { name: 'POP3 wrong password, then QUIT', service: 'pop3', steps: [{ send: `USER ${ALICE}`, upto: /^\+OK/ }, { send: 'PASS wrong', upto: /^-ERR/ }, { send: 'QUIT', upto: 'close' }] },
  { name: 'POP3 PASS before USER', service: 'pop3', steps: [{ send: 'PASS x', upto: /^-ERR/ }, { send: 'QUIT', upto: 'close' }] },
  { name: 'POP3 AUTH list and AUTH PLAIN', service: 'pop3', steps: [{ send: 'AUTH', upto: /^\.$/ }, { send: `AUTH PLAIN ${b64(`\0${ALICE}\0${ALICE_PASS}`)}`, upto: /^[+-]/ }, { send: 'QUIT', upto: 'close' }] },
  { name: 'POP3 unknown commands until max_errors', service: 'pop3', steps: [1, 2, 3, 4].map(() => ({ send: 'FOO', upto: /^-ERR/ } as Step)).concat([{ send: 'FOO', upto: 'close' }]) },
  // SMTP submission
  { name: 'SMTP EHLO, HELO, NOOP, RSET, QUIT', service: 'smtp', steps: [ehlo(), { send: 'HELO client.test', upto: /^250 / }, { send: 'NOOP', upto: /^\d{3} / }, { send: 'RSET', upto: /^\d{3} / }, { send: 'QUIT', upto: 'close' }] },
  { name: 'SMTP MAIL without AUTH', service: 'smtp', steps: [ehlo(), { send: 'MAIL FROM:<a@example.com>', upto: /^\d{3} / }, { send: 'QUIT', upto: 'close' }] },
  {
    name: 'SMTP AUTH PLAIN, then a message',
    service: 'smtp',
    steps: [
      ehlo(),
      { send: `AUTH PLAIN ${b64(`\0${ALICE}\0${ALICE_PASS}`)}`, upto: /^\d{3} / },
      { send: `MAIL FROM:<${ALICE}>`, upto: /^\d{3} / },
      { send: 'RCPT TO:<bob@example.org>', upto: /^\d{3} / },
      { send: 'DATA', upto: /^354/ },
      { send: 'Subject: parity\r\n\r\nhello\r\n.', upto: /^250 / },
      { send: 'QUIT', upto: 'close' },
    ],
  },
  { name: 'SMTP AUTH LOGIN', service: 'smtp', steps: [ehlo(), { send: 'AUTH LOGIN', upto: /^334/ }, { send: b64(ALICE), upto: /^334/ }, { send: b64(ALICE_PASS), upto: /^\d{3} / }, { send: 'QUIT', upto: 'close' }] },
  { name: 'SMTP wrong password', service: 'smtp', steps: [ehlo(), { send: `AUTH PLAIN ${b64(`\0${ALICE}\0wrong`)}`, upto: /^\d{3} / }, { send: 'QUIT', upto: 'close' }] },
  { name: 'SMTP AUTH without a mechanism, unknown command', service: 'smtp', steps: [ehlo(), { send: 'AUTH', upto: /^\d{3} / }, { send: 'FOO', upto: /^\d{3} / }, { send: 'QUIT', upto: 'close' }] },
  // SMTP inbound (MX): nothing is authenticated, the first RCPT asks.
  {
    name: 'MX: a message for a local mailbox',
    service: 'mx',
    steps: [ehlo('sender.test'), { send: 'MAIL FROM:<someone@elsewhere.test>', upto: /^\d{3} / }, { send: `RCPT TO:<${ALICE}>`, upto: /^\d{3} / }, { send: 'DATA', upto: /^354/ }, { send: 'Subject: in\r\n\r\nhi\r\n.', upto: /^250 / }, { send: 'QUIT', upto: 'close' }],
  },
  { name: 'MX: RCPT before MAIL, MAIL twice', service: 'mx', steps: [ehlo('sender.test'), { send: `RCPT TO:<${ALICE}>`, upto: /^\d{3} / }, { send: 'MAIL FROM:<a@elsewhere.test>', upto: /^\d{3} / }, { send: 'MAIL FROM:<b@elsewhere.test>', upto: /^\d{3} / }, { send: 'QUIT', upto: 'close' }] },
  { name: 'MX: an unknown recipient', service: 'mx', steps: [ehlo('sender.test'), { send: 'MAIL FROM:<a@elsewhere.test>', upto: /^\d{3} / }, { send: 'RCPT TO:<nobody@example.com>', upto: /^\d{3} / }, { send: 'QUIT', upto: 'close' }] },
  // Client certificates over implicit TLS (ngx_mail_verify_cert, §1.3 rows 20-25).
  ...certScenarios(),
];

function certScenarios(): Scenario[] {
  const login: Step[] = [{ send: `a1 LOGIN ${ALICE} "${ALICE_PASS}"`, upto: /^a1 / }, { send: 'a2 LOGOUT', upto: 'close' }];
  const refused = (line: string): Pick<Scenario, 'steps' | 'refused'> => ({ steps: [{ upto: 'close' }], refused: line });
  return [
    { name: 'optional_no_ca: a self-signed certificate is asked about (FAILED), with its PEM', service: 'imapsNoCa', tls: { cert: () => certs.self }, steps: login, authSsl: /^FAILED:self-signed certificate$/ },
    { name: 'optional_no_ca: a certificate from an unknown CA (FAILED)', service: 'imapsNoCa', tls: { cert: () => certs.signed }, steps: login, authSsl: /^FAILED:unable to verify the first certificate$/ },
    { name: 'optional_no_ca: a subject with RFC 2253 specials and UTF-8', service: 'imapsNoCa', tls: { cert: () => certs.odd }, steps: login, authSsl: /^FAILED:/ },
    { name: 'optional_no_ca: no certificate (NONE)', service: 'imapsNoCa', tls: {}, steps: login, authSsl: /^NONE$/ },
    { name: 'on: a certificate from the trusted CA (SUCCESS)', service: 'imapsOn', tls: { cert: () => certs.signed }, steps: login, authSsl: /^SUCCESS$/ },
    { name: 'on: no certificate is refused before the greeting', service: 'imapsOn', tls: {}, ...refused('* BYE No required SSL certificate') },
    { name: 'on: a self-signed certificate is refused', service: 'imapsOn', tls: { cert: () => certs.self }, ...refused('* BYE SSL certificate error') },
    { name: 'optional: a self-signed certificate is refused', service: 'imapsOptional', tls: { cert: () => certs.self }, ...refused('* BYE SSL certificate error') },
    { name: 'optional: no certificate (NONE)', service: 'imapsOptional', tls: {}, steps: login, authSsl: /^NONE$/ },
  ];
}

/**
 * What differs between two runs of the same proxy: salts (random and time) and Dovecot's
 * timings in its tagged replies. (EXAMINE, not SELECT, so the first run does not take \Recent.)
 */
const normalise = (line: string): string => line.replace(/<\d+\.\d+@[^>]+>/g, '<salt>').replace(/\(\d+\.\d+ \+ [\d.+ ]+ secs\)/g, '(timing)');

async function transcript(port: number, s: Scenario): Promise<string[]> {
  const cert = s.tls?.cert?.();
  const session = await rawSession(port, s.tls ? { tls: true, ...(cert ? { cert: cert.cert, key: cert.key } : {}) } : {});
  try {
    for (const step of [...(s.refused ? [] : [greeting(s.service)]), ...s.steps]) {
      if (step.send !== undefined) session.send(step.send);
      if (step.upto === 'close') assert.ok(await session.waitClosed(10_000), `${s.name}: the proxy did not close:\n${session.lines.join('\n')}`);
      else await session.expect(step.upto, 10_000);
    }
    return session.lines.map(normalise);
  } finally {
    session.close();
  }
}

let dovecot: DovecotHandle;
let sink: SmtpSinkHandle;
let postern: PosternHandle;
let nginx: NginxHandle;
let ca: TestCa;
let recorder: AuthRecorderHandle;
const certs = {} as { self: TestCert; signed: TestCert; odd: TestCert };
const proxyPorts: Record<Service, number> = { imap: 0, pop3: 0, smtp: 0, mx: 0, imapsNoCa: 0, imapsOn: 0, imapsOptional: 0, imapStarttlsOn: 0 };

/** Each certificate listener: TLS, ssl_verify_client, whether it trusts the CA and passes the PEM. */
const CERT_LISTENERS: Record<CertService, { tls: 'implicit' | 'starttls'; verify: string; trustsCa: boolean; passCert: boolean }> = {
  imapsNoCa: { tls: 'implicit', verify: 'optional_no_ca', trustsCa: false, passCert: true },
  imapsOn: { tls: 'implicit', verify: 'on', trustsCa: true, passCert: false },
  imapsOptional: { tls: 'implicit', verify: 'optional', trustsCa: true, passCert: false },
  imapStarttlsOn: { tls: 'starttls', verify: 'on', trustsCa: true, passCert: true },
};

before(async () => {
  [dovecot, sink] = await Promise.all([startDovecot({ label: 'dovecot-parity', users: [{ user: ALICE, password: ALICE_PASS }] }), startSmtpSink({ xclient: true, name: 'sink.test' })]);
  dovecot.deliver(ALICE, 'From: a@example.com\r\nSubject: parity\r\n\r\nbody\r\n');
  const ports = await freePorts(4 + CERT_SERVICES.length);
  (['imap', 'pop3', 'smtp', 'mx', ...CERT_SERVICES] as const).forEach((service, i) => (proxyPorts[service] = ports[i]!));
  const { imap, pop3, smtp, mx } = proxyPorts;
  ca = makeTestCa('/O=Example Org/CN=Parity CA');
  certs.self = ca.selfSigned('self', '/O=Example Org/CN=client user');
  certs.signed = ca.issue('signed', '/O=Example Org/CN=client user');
  certs.odd = ca.issue('odd', '/C=DE/O=Example\\, Inc. "x"/OU=a\\+b;c<d>=e/CN=#J\u00fcrgen ');
  const serverCert = makeSelfSignedCert(ca.dir);
  // The tap in front of Postern's auth endpoint, for the certificate listeners of both proxies.
  recorder = await startAuthRecorder({ forwardTo: () => ({ port: postern.port }) });
  postern = await startPostern({
    env: { POSTERN_AUTH_FAILURE_WAIT_SECONDS: '1', POSTERN_DEFENCE_PENALTY_MAX_SECONDS: '1' },
    mailProxy: ({ authUrl, secretHeader, secret }) => [
      '[mail_proxy]',
      'enabled = true',
      'server_name = "mail.test"',
      `auth_http = "${authUrl}"`,
      `auth_http_headers = { ${JSON.stringify(secretHeader)} = ${JSON.stringify(secret)} }`,
      `tls_cert_file = ${JSON.stringify(serverCert.cert)}`,
      `tls_key_file = ${JSON.stringify(serverCert.key)}`,
      ...listener('imap', imap, ['plain', 'login']),
      ...listener('pop3', pop3, ['plain']),
      ...listener('smtp', smtp, ['plain', 'login']),
      ...listener('smtp-mx', mx, ['none'], `${authUrl}/mx`),
      ...CERT_SERVICES.flatMap((service) => {
        const c = CERT_LISTENERS[service];
        return [
          ...listener('imap', proxyPorts[service], ['plain'], recorder.url(authUrl.slice(authUrl.indexOf('/')))),
          `tls = "${c.tls}"`,
          `tls_verify_client = "${c.verify}"`,
          ...(c.trustsCa ? [`tls_client_ca_file = ${JSON.stringify(ca.ca.cert)}`] : []),
          `auth_http_pass_client_cert = ${c.passCert}`,
        ];
      }),
    ].join('\n'),
    setup: async (dir) => {
      await dir.addDomain('example.com');
      await dir.addBackend({ name: 'backend', host: '127.0.0.1', ports: { imap: dovecot.ports.imap, pop3: dovecot.ports.pop3, smtp: sink.port, mx: sink.port } });
      await dir.setRoute('default', null, 'backend');
      await dir.addMailbox({ address: ALICE, passwordHash: await hashPassword(ALICE_PASS) });
    },
  });
  nginx = await startNginx({
    authHttp: postern.authUrl,
    authHttpHeaders: { [postern.config.auth.secret_header]: postern.secret },
    authHttpTimeout: '10s',
    listeners: [
      { protocol: 'imap', name: 'imap', auth: ['plain', 'login'] },
      { protocol: 'pop3', name: 'pop3', auth: ['plain'] },
      { protocol: 'smtp', name: 'smtp', auth: ['plain', 'login'], xclient: true },
      { protocol: 'smtp', name: 'mx', auth: ['none'], xclient: true, authHttp: `${postern.authUrl}/mx` },
      ...CERT_SERVICES.map((service) => {
        const c = CERT_LISTENERS[service];
        return {
          protocol: 'imap' as const,
          name: service,
          ...(c.tls === 'implicit' ? { ssl: true } : { starttls: 'on' as const }),
          authHttp: recorder.url(postern.config.listen.path),
          extra: [
            // nginx 1.22's mail default stops at TLSv1.2; Node's goes to TLSv1.3.
            'ssl_protocols TLSv1.2 TLSv1.3',
            `ssl_verify_client ${c.verify}`,
            ...(c.trustsCa ? [`ssl_client_certificate ${ca.ca.cert}`] : []),
            `auth_http_pass_client_cert ${c.passCert ? 'on' : 'off'}`,
          ],
        };
      }),
    ],
  });
});

function listener(protocol: string, port: number, auth: string[], authHttp?: string): string[] {
  return ['', '[[mail_proxy.listeners]]', `protocol = "${protocol}"`, `port = ${port}`, `auth = ${JSON.stringify(auth)}`, ...(authHttp ? [`auth_http = "${authHttp}"`] : [])];
}

/** The table, as test-artifacts/mail-proxy-parity.md: one row per scenario and what was found. */
const table: string[] = ['| scenario | service | result |', '| --- | --- | --- |'];

after(async () => {
  mkdirSync(join(projectRoot, 'test-artifacts'), { recursive: true });
  writeFileSync(join(projectRoot, 'test-artifacts', 'mail-proxy-parity.md'), `# Parity: nginx 1.22 and Postern's mail proxy\n\n${table.join('\n')}\n`);
  await Promise.allSettled([nginx?.stop(), postern?.stop()]);
  await Promise.allSettled([dovecot?.stop(), sink?.stop(), recorder?.stop()]);
  ca?.remove();
});

/** The Auth-SSL-* header lines of the auth request a run made, the run's transcript, and how many requests it made. */
async function withAuthSsl(port: number, s: Scenario): Promise<{ lines: string[]; ssl: string[]; asked: number }> {
  const first = recorder.requests.length;
  const lines = await transcript(port, s);
  const asked = recorder.requests.length - first;
  return { lines, ssl: asked > 0 ? recorder.headerLines(first, /^Auth-SSL/) : [], asked };
}

describe('the same scenarios through nginx 1.22 and through Postern', () => {
  for (const s of SCENARIOS) {
    test(s.name, async () => {
      const nginxRun = await withAuthSsl(nginx.ports[s.service]!, s);
      const posternRun = await withAuthSsl(proxyPorts[s.service], s);
      const [viaNginx, viaPostern] = [nginxRun.lines, posternRun.lines];
      if (s.refused) {
        assert.deepEqual(viaNginx, [s.refused], 'nginx (the reference)');
        assert.equal(nginxRun.asked + posternRun.asked, 0, 'a refused client never reaches the auth server');
      }
      if (s.authSsl) {
        assert.equal(nginxRun.asked, 1, 'nginx asked the auth server once');
        assert.equal(posternRun.asked, 1, 'Postern asked the auth server once');
        const verify = nginxRun.ssl.find((l) => l.startsWith('Auth-SSL-Verify: '))?.slice('Auth-SSL-Verify: '.length) ?? '';
        assert.match(verify, s.authSsl, `nginx's Auth-SSL-Verify:\n${nginxRun.ssl.join('\n')}`);
        assert.deepEqual(posternRun.ssl, nginxRun.ssl, `${s.name}: Postern's Auth-SSL-* headers (actual) differ from nginx's (expected)`);
      }
      if (s.differs) {
        s.differs.nginx(viaNginx);
        s.differs.postern(viaPostern);
        table.push(`| ${s.name} | ${s.service} | differs as intended: ${s.differs.why} |`);
      } else {
        assert.deepEqual(viaPostern, viaNginx, `${s.name}: Postern (actual) differs from nginx (expected)`);
        const ssl = s.authSsl ? `, same ${posternRun.ssl.length} Auth-SSL-* headers` : '';
        table.push(`| ${s.name} | ${s.service} | same ${viaPostern.length} lines${ssl} |`);
      }
    });
  }

  test('STARTTLS with a client certificate (Python imaplib): the same Auth-SSL-* headers; without one, both refuse', async () => {
    const run = async (port: number, cert?: TestCert) => {
      const first = recorder.requests.length;
      const result = await runImapClient({ port, tls: 'starttls', user: ALICE, password: ALICE_PASS, mech: 'login', ...(cert ? { certfile: cert.cert, keyfile: cert.key } : {}) });
      return { result, ssl: recorder.requests.length > first ? recorder.headerLines(first, /^Auth-SSL/) : [] };
    };
    const viaNginx = await run(nginx.ports.imapStarttlsOn!, certs.signed);
    const viaPostern = await run(proxyPorts.imapStarttlsOn, certs.signed);
    assert.ok(viaNginx.result.ok && viaPostern.result.ok, JSON.stringify([viaNginx.result.transcript, viaPostern.result.transcript]));
    assert.ok(viaNginx.ssl.includes('Auth-SSL-Verify: SUCCESS') && viaNginx.ssl.some((l) => l.startsWith('Auth-SSL-Cert: -----BEGIN%20CERTIFICATE-----%0A')), viaNginx.ssl.join('\n'));
    assert.deepEqual(viaPostern.ssl, viaNginx.ssl);
    const refusedByNginx = await run(nginx.ports.imapStarttlsOn!);
    const refusedByPostern = await run(proxyPorts.imapStarttlsOn);
    assert.equal(refusedByNginx.result.ok || refusedByPostern.result.ok, false);
    assert.equal(refusedByPostern.result.stage, refusedByNginx.result.stage);
    assert.deepEqual([refusedByNginx.ssl, refusedByPostern.ssl], [[], []]);
    table.push(`| STARTTLS with and without a client certificate | imapStarttlsOn | same ${viaPostern.ssl.length} Auth-SSL-* headers; both refuse without one |`);
  });

  test('the SMTP backend is told the same by both proxies (XCLIENT, HELO, envelope)', () => {
    const told = sink.messages.map((m) => ({ from: m.mailFrom, to: m.rcptTo, helo: m.helo, xclient: { ...m.xclient, PORT: undefined }, user: m.user, text: m.text }));
    assert.equal(told.length, 4, 'two submissions and two inbound messages');
    // Scenarios run nginx first, then Postern: messages come in pairs.
    assert.deepEqual(told[1], told[0]);
    assert.deepEqual(told[3], told[2]);
  });
});
