/**
 * End to end: OAUTHBEARER and XOAUTH2 through Postern's own mail proxy. Real clients (Python's
 * imaplib, poplib and smtplib, curl's --oauth2-bearer) log in with a bearer token; the proxy asks
 * a small nginx-style auth server of the test's own (Auth-Method oauthbearer/xoauth2, the token in
 * Auth-Pass), which answers OK without Auth-Pass ("pass the token on"), OK with Auth-Pass ("log
 * in with this password") or a failure. The backends check the token themselves: Dovecot through
 * its oauth2 passdb against the test's RFC 7662 introspection endpoint, and the SMTP sink's
 * XOAUTH2. Covered per protocol: a good token, a token the auth server refuses (RFC 7628 error
 * challenge, then NO/-ERR/535, and the proxy goes on serving), a token the backend refuses, and a
 * reply with Auth-Pass (a password login at the backend instead).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePorts, runCurl, runProcess, startDovecot, startSmtpSink, type DovecotHandle, type SmtpSinkHandle } from '../harness/index.js';
import { startPostern, waitForLog, type PosternHandle } from '../harness/postern.js';

const ALICE = 'alice@example.com';
const PASSWORD = 'alice secret';
/** What the test's auth server and introspection endpoint make of each token. */
const GOOD = 'tok-alice.1';
/** The auth server says OK, the introspection endpoint says inactive: the backend refuses it. */
const REVOKED = 'tok-revoked.2';
/** The auth server says OK with Auth-Pass: the backend gets a password login. */
const WITH_PASS = 'tok-master.3';
const UNKNOWN = 'tok-unknown.4';

let dovecot: DovecotHandle;
let sink: SmtpSinkHandle;
let postern: PosternHandle;
let introspection: http.Server;
let authServer: http.Server;
/** Tokens the introspection endpoint was asked about, in order. */
const introspected: string[] = [];
/** The auth requests' headers, in order. */
const authRequests: http.IncomingHttpHeaders[] = [];
const port = { imap: 0, imapXoauth2: 0, pop3: 0, smtp: 0 };

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** RFC 7662: POST token=..., JSON with `active` and (Dovecot's username_attribute) `username`. */
function startIntrospection(): Promise<number> {
  introspection = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('latin1')));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('token') ?? '';
      introspected.push(token);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(token === GOOD ? { active: true, username: ALICE, scope: 'mail' } : { active: false }));
    });
  });
  return listen(introspection);
}

/** nginx's auth_http protocol: the decision in Auth-* headers, the backend by protocol. */
function startAuthServer(): Promise<number> {
  authServer = http.createServer((req, res) => {
    authRequests.push(req.headers);
    const method = req.headers['auth-method'];
    const token = String(req.headers['auth-pass'] ?? '');
    const backend = { imap: dovecot.ports.imap, pop3: dovecot.ports.pop3, smtp: sink.port }[String(req.headers['auth-protocol'])];
    const known = method === 'oauthbearer' || method === 'xoauth2' ? [GOOD, REVOKED, WITH_PASS].includes(token) : false;
    if (!known || backend === undefined) {
      res.setHeader('Auth-Status', 'Invalid token');
    } else {
      res.setHeader('Auth-Status', 'OK');
      res.setHeader('Auth-Server', '127.0.0.1');
      res.setHeader('Auth-Port', String(backend));
      res.setHeader('Auth-User', ALICE);
      if (token === WITH_PASS) res.setHeader('Auth-Pass', PASSWORD);
    }
    res.end();
  });
  return listen(authServer);
}

before(async () => {
  const introspectionPort = await startIntrospection();
  [dovecot, sink] = await Promise.all([
    startDovecot({ users: [{ user: ALICE, password: PASSWORD }], oauth2: { introspectionUrl: `http://127.0.0.1:${introspectionPort}/introspect` } }),
    startSmtpSink({ name: 'sink.test', xoauth2: (user, token) => user === ALICE && token === GOOD, auth: (user, pass) => user === ALICE && pass === PASSWORD }),
  ]);
  dovecot.deliver(ALICE, 'From: a@example.com\r\nTo: alice@example.com\r\nSubject: bearer mail\r\n\r\nbody\r\n');
  const authPort = await startAuthServer();
  [port.imap, port.imapXoauth2, port.pop3, port.smtp] = (await freePorts(4)) as [number, number, number, number];
  const listener = (protocol: string, p: number, extra: string[] = [], auth = '["plain", "oauthbearer", "xoauth2"]') =>
    ['[[mail_proxy.listeners]]', `protocol = "${protocol}"`, `port = ${p}`, `auth = ${auth}`, ...extra].join('\n');
  postern = await startPostern({
    mailProxy: [
      '[mail_proxy]',
      'enabled = true',
      'server_name = "proxy.test"',
      `auth_http = "127.0.0.1:${authPort}/auth"`,
      'timeout_seconds = 10',
      listener('imap', port.imap),
      listener('imap', port.imapXoauth2, [], '["xoauth2"]'),
      listener('pop3', port.pop3),
      listener('smtp', port.smtp, ['backend_auth = true', 'xclient = false']),
    ].join('\n\n'),
  });
});

after(async () => {
  await Promise.allSettled([postern?.stop()]);
  await Promise.allSettled([dovecot?.stop(), sink?.stop(), new Promise((r) => introspection?.close(r)), new Promise((r) => authServer?.close(r))]);
});

/**
 * The Python clients: one login with a bearer mechanism, then some mail work. The SASL callback
 * records every challenge after the first and answers it as RFC 7628 (%x01) or Google (empty) ask.
 */
const PYTHON = String.raw`
import base64, imaplib, json, poplib, smtplib, sys
a = json.loads(sys.argv[1])
mech, user, token = a['mech'], a['user'], a['token']
if mech == 'OAUTHBEARER':
    response = 'n,a=%s,\x01auth=Bearer %s\x01\x01' % (user, token)
    answer = '\x01'
else:
    response = 'user=%s\x01auth=Bearer %s\x01\x01' % (user, token)
    answer = ''
out = {'challenges': []}
def step(challenge):
    if challenge is None or challenge == b'' and not out['sent']:
        out['sent'] = True
        return response
    out['challenges'].append(challenge.decode())
    return answer
out['sent'] = False
try:
    if a['protocol'] == 'imap':
        m = imaplib.IMAP4('127.0.0.1', a['port'], timeout=10)
        out['capabilities'] = list(m.capabilities)
        try:
            typ, data = m.authenticate(mech, lambda c: step(c).encode('latin1'))
            out['login'] = [typ, data[0].decode()]
            m.select('INBOX')
            typ, data = m.fetch('1', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
            out['subject'] = data[0][1].decode().strip()
            m.logout()
        except imaplib.IMAP4.error as e:
            out['error'] = str(e)
            out['untaggedBad'] = [d.decode() for d in m.untagged_responses.get('BAD', [])]
    elif a['protocol'] == 'pop3':
        p = poplib.POP3('127.0.0.1', a['port'], timeout=10)
        out['sasl'] = p.capa().get('SASL', [])
        try:
            out['sent'] = True
            r = p._shortcmd('AUTH %s %s' % (mech, base64.b64encode(response.encode('latin1')).decode()))
            if not r.startswith(b'+OK'):
                out['challenges'].append(base64.b64decode(r[2:]).decode())
                r = p._shortcmd(base64.b64encode(answer.encode('latin1')).decode())
            out['login'] = r.decode()
            out['subject'] = [l.decode() for l in p.retr(1)[1] if l.startswith(b'Subject:')][0]
            p.quit()
        except poplib.error_proto as e:
            out['error'] = e.args[0].decode()
    else:
        s = smtplib.SMTP('127.0.0.1', a['port'], timeout=10)
        s.ehlo('client.test')
        out['auth'] = s.esmtp_features.get('auth', '').strip()
        try:
            code, text = s.auth(mech, lambda challenge=None: step(challenge))
            out['login'] = [code, text.decode()]
            s.sendmail(user, ['friend@elsewhere.test'], 'Subject: bearer %s\r\n\r\nbody\r\n' % mech)
            s.quit()
        except smtplib.SMTPAuthenticationError as e:
            out['error'] = [e.smtp_code, e.smtp_error.decode()]
        except smtplib.SMTPServerDisconnected as e:
            out['error'] = ['disconnected', str(e)]
except Exception as e:
    out['exception'] = '%s: %s' % (type(e).__name__, e)
print(json.dumps(out))
`;

interface PythonResult {
  challenges: string[];
  capabilities?: string[];
  sasl?: string[];
  auth?: string;
  login?: unknown;
  subject?: string | string[];
  error?: unknown;
  untaggedBad?: string[];
  exception?: string;
}

async function python(protocol: 'imap' | 'pop3' | 'smtp', mech: 'XOAUTH2' | 'OAUTHBEARER', token: string, at = port[protocol]): Promise<PythonResult> {
  const res = await runProcess('python3', ['-c', PYTHON, JSON.stringify({ protocol, port: at, mech, user: ALICE, token })], { timeoutMs: 20_000 });
  try {
    return JSON.parse(res.stdout.trim().split('\n').pop() ?? '') as PythonResult;
  } catch {
    throw new Error(`python client: exit ${res.code}\n${res.stdout}\n${res.stderr}`);
  }
}

/** The RFC 7628 error challenges the proxy sends (src/mailproxy/bearer-error.ts). */
const PROXY_CHALLENGE = { XOAUTH2: '{"status":"401","schemes":"bearer"}', OAUTHBEARER: '{"status":"invalid_token","schemes":"bearer"}' } as const;
const MECHS = ['XOAUTH2', 'OAUTHBEARER'] as const;

/** imaplib's `authenticate` result as `OK <text>`. */
function loginText(res: PythonResult): string {
  return Array.isArray(res.login) ? res.login.join(' ') : `no login: ${JSON.stringify(res)}`;
}

function lastAuthRequest(): http.IncomingHttpHeaders {
  const h = authRequests.at(-1);
  assert.ok(h, 'the auth server was asked');
  return h;
}

describe('IMAP', () => {
  test('a good token, XOAUTH2 and OAUTHBEARER: the auth server gets the method and token, Dovecot checks the token', async () => {
    for (const mech of MECHS) {
      const before = introspected.length;
      const res = await python('imap', mech, GOOD);
      assert.match(loginText(res), /^OK .*Logged in$/, JSON.stringify(res));
      assert.ok(res.capabilities?.includes('AUTH=OAUTHBEARER') && res.capabilities.includes('AUTH=XOAUTH2'), JSON.stringify(res.capabilities));
      assert.equal(res.subject, 'Subject: bearer mail');
      assert.deepEqual(res.challenges, []);
      const h = lastAuthRequest();
      assert.deepEqual([h['auth-method'], h['auth-user'], h['auth-pass'], h['auth-protocol']], [mech.toLowerCase(), ALICE, GOOD, 'imap']);
      assert.deepEqual(introspected.slice(before), [GOOD]);
      assert.match(dovecot.log(), new RegExp(`imap-login: Info: Login: user=<${ALICE}>, method=${mech}`));
    }
  });

  test('curl --oauth2-bearer lists the mailboxes: OAUTHBEARER, and XOAUTH2 where the listener offers only that', async () => {
    // curl prefers OAUTHBEARER whatever --login-options says (7.88), so XOAUTH2 has its own listener.
    for (const p of [port.imap, port.imapXoauth2]) {
      const res = await runCurl(['-sS', '--max-time', '10', `imap://127.0.0.1:${p}/`, '-u', `${ALICE}:`, '--oauth2-bearer', GOOD]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /INBOX/);
    }
    assert.deepEqual(authRequests.slice(-2).map((h) => h['auth-method']), ['oauthbearer', 'xoauth2']);
    const only = await python('imap', 'OAUTHBEARER', GOOD, port.imapXoauth2);
    assert.deepEqual(only.capabilities, ['IMAP4', 'IMAP4REV1', 'UIDPLUS', 'AUTH=XOAUTH2']);
    assert.match(String(only.error), /BAD.*invalid command/, JSON.stringify(only));
  });

  test('a token the auth server refuses: the error challenge, then NO; the proxy goes on serving', async () => {
    for (const mech of MECHS) {
      const res = await python('imap', mech, UNKNOWN);
      assert.deepEqual(res.challenges, [PROXY_CHALLENGE[mech]], JSON.stringify(res));
      assert.match(String(res.error), /Invalid token/);
    }
    assert.match(loginText(await python('imap', 'XOAUTH2', GOOD)), /^OK .*Logged in$/);
  });

  test('a token the backend refuses: Dovecot\'s error challenge is answered by the proxy, the client gets the internal error', async () => {
    const before = introspected.length;
    const res = await python('imap', 'OAUTHBEARER', REVOKED);
    assert.deepEqual(res.untaggedBad, ['internal server error'], JSON.stringify(res));
    assert.match(String(res.error), /EOF/);
    assert.deepEqual(introspected.slice(before), [REVOKED]);
    assert.match(dovecot.log(), /oauth2 failed: Introspection failed/);
    assert.match(dovecot.log(), new RegExp(`imap-login: Info: Disconnected: Connection closed \\(auth failed, 1 attempts.*user=<${ALICE}>, method=OAUTHBEARER`));
    // The proxy answered the error challenge and read Dovecot's tagged NO before giving up.
    await waitForLog(postern.logs, (l) => l.event === 'backend-failed' && /the backend refused the token/.test(String(l.detail)), { diagnostics: postern.output });
    assert.match(loginText(await python('imap', 'OAUTHBEARER', GOOD)), /^OK .*Logged in$/);
  });

  test('an OK with Auth-Pass: LOGIN at the backend with Auth-User/Auth-Pass, the token never reaches Dovecot', async () => {
    const before = introspected.length;
    const res = await python('imap', 'XOAUTH2', WITH_PASS);
    assert.match(loginText(res), /^OK .*Logged in$/, JSON.stringify(res));
    assert.equal(res.subject, 'Subject: bearer mail');
    assert.deepEqual(introspected.slice(before), []);
    assert.match(dovecot.log(), new RegExp(`imap-login: Info: Login: user=<${ALICE}>, method=PLAIN`));
  });
});

describe('POP3', () => {
  test('a good token, both mechanisms, and curl: RETR through Dovecot\'s oauth2 passdb', async () => {
    for (const mech of MECHS) {
      const res = await python('pop3', mech, GOOD);
      assert.match(String(res.login), /^\+OK/, JSON.stringify(res));
      assert.deepEqual(res.sasl, ['PLAIN', 'LOGIN', 'OAUTHBEARER', 'XOAUTH2']);
      assert.equal(res.subject, 'Subject: bearer mail');
      assert.deepEqual([lastAuthRequest()['auth-method'], lastAuthRequest()['auth-protocol']], [mech.toLowerCase(), 'pop3']);
      assert.match(dovecot.log(), new RegExp(`pop3-login: Info: Login: user=<${ALICE}>, method=${mech}`));
    }
    const curl = await runCurl(['-sS', '--max-time', '10', `pop3://127.0.0.1:${port.pop3}/`, '-u', `${ALICE}:`, '--oauth2-bearer', GOOD]);
    assert.equal(curl.code, 0, curl.stderr);
    assert.match(curl.stdout, /^1 \d+/);
  });

  test('a refused token: the error challenge, then -ERR; one the backend refuses: the internal error; Auth-Pass: USER/PASS', async () => {
    const refused = await python('pop3', 'OAUTHBEARER', UNKNOWN);
    assert.deepEqual(refused.challenges, [PROXY_CHALLENGE.OAUTHBEARER], JSON.stringify(refused));
    assert.equal(refused.error, '-ERR Invalid token');
    const revokedFrom = introspected.length;
    const revoked = await python('pop3', 'XOAUTH2', REVOKED);
    assert.equal(revoked.error ?? revoked.exception, '-ERR internal server error', JSON.stringify(revoked));
    assert.deepEqual(introspected.slice(revokedFrom), [REVOKED], 'Dovecot was asked, and refused');
    const before = introspected.length;
    const withPass = await python('pop3', 'XOAUTH2', WITH_PASS);
    assert.match(String(withPass.login), /^\+OK/, JSON.stringify(withPass));
    assert.deepEqual(introspected.slice(before), []);
    assert.match(dovecot.log(), new RegExp(`pop3-login: Info: Login: user=<${ALICE}>, method=PLAIN`));
  });
});

describe('SMTP submission with backend_auth', () => {
  test('a good token: AUTH XOAUTH2 at the sink with Auth-User and the token (the sink offers only XOAUTH2), and the mail arrives', async () => {
    for (const mech of MECHS) {
      const before = sink.messages.length;
      const res = await python('smtp', mech, GOOD);
      assert.deepEqual(res.login, [235, '2.0.0 OK'], JSON.stringify(res));
      assert.equal(res.auth, 'PLAIN OAUTHBEARER XOAUTH2');
      const [message] = (await sink.waitForMessages(before + 1)).slice(before);
      assert.equal(message?.user, ALICE);
      assert.match(message?.text ?? '', new RegExp(`Subject: bearer ${mech}`));
      const auth = sink.sessions.flatMap((s) => s.auth).at(-1);
      assert.deepEqual(auth && [auth.method, auth.username, auth.accessToken, auth.accepted], ['XOAUTH2', ALICE, GOOD, true]);
    }
    const before = sink.messages.length;
    const curl = await runCurl(['-sS', '--max-time', '10', `smtp://127.0.0.1:${port.smtp}`, '-u', `${ALICE}:`, '--oauth2-bearer', GOOD, '--mail-from', ALICE, '--mail-rcpt', 'friend@elsewhere.test', '-T', '-'], { input: 'Subject: curl bearer\r\n\r\nbody\r\n' });
    assert.equal(curl.code, 0, curl.stderr);
    assert.equal(lastAuthRequest()['auth-method'], 'oauthbearer');
    assert.match((await sink.waitForMessages(before + 1)).at(-1)?.text ?? '', /Subject: curl bearer/);
  });

  test('a refused token: the error challenge, then 535; the sink refusing the token: 451; Auth-Pass: AUTH PLAIN at the sink', async () => {
    const refused = await python('smtp', 'XOAUTH2', UNKNOWN);
    assert.deepEqual(refused.challenges, [PROXY_CHALLENGE.XOAUTH2], JSON.stringify(refused));
    assert.deepEqual(refused.error, [535, '5.7.0 Invalid token']);
    const revoked = await python('smtp', 'OAUTHBEARER', REVOKED);
    assert.deepEqual(revoked.error, [451, '4.3.2 Internal server error'], JSON.stringify(revoked));
    const sinkRefusal = sink.sessions.flatMap((s) => s.auth).at(-1);
    assert.deepEqual(sinkRefusal && [sinkRefusal.method, sinkRefusal.accessToken, sinkRefusal.accepted], ['XOAUTH2', REVOKED, false]);
    // The proxy answered the sink's 334 error challenge before its 535 (RFC 7628 §3.2.3).
    const lines = sink.sessions.at(-1)?.commands ?? [];
    assert.equal(lines.at(-1), '', JSON.stringify(lines));
    const withPass = await python('smtp', 'XOAUTH2', WITH_PASS);
    assert.deepEqual(withPass.login, [235, '2.0.0 OK'], JSON.stringify(withPass));
    const plain = sink.sessions.flatMap((s) => s.auth).at(-1);
    assert.deepEqual(plain && [plain.method, plain.username, plain.password, plain.accepted], ['PLAIN', ALICE, PASSWORD, true]);
  });
});
