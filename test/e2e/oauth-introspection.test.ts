/**
 * Bearer-token logins decided by Postern itself, end to end: Python's imaplib and poplib log in
 * with XOAUTH2 / OAUTHBEARER to Postern's own mail proxy, which asks `postern serve`'s auth
 * endpoint over HTTP (Auth-Method xoauth2/oauthbearer); Postern asks the test's RFC 7662
 * introspection endpoint (HTTP Basic as client `postern`) and answers OK with Auth-User and no
 * Auth-Pass, so the proxy passes the token on to Dovecot, whose oauth2 passdb asks the same
 * endpoint (without client authentication, which tells the two apart). curl also asks the auth
 * endpoint directly, for the exact reply bytes.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { freePorts, runCurl, runProcess, startDovecot, type DovecotHandle } from '../harness/index.js';
import { startPostern, type PosternHandle } from '../harness/postern.js';
import { hashPassword } from '../../src/passwords/index.js';

const ALICE = 'alice@example.com';
const CLIENT_SECRET = 'introspection client secret';
const POSTERN_AUTH = `Basic ${Buffer.from(`postern:${CLIENT_SECRET.replace(/ /g, '+')}`).toString('base64')}`;
/** Tokens and what the endpoint says of them. */
const GOOD = 'tok-alice-GOOD.1';
const BOBS = 'tok-bob-OTHER.2';
const REVOKED = 'tok-revoked-OLD.3';
const ANSWERS: Record<string, object> = {
  [GOOD]: { active: true, username: ALICE, scope: 'openid mail', client_id: 'thunderbird' },
  [BOBS]: { active: true, username: 'bob@example.com', scope: 'mail' },
  [REVOKED]: { active: false },
};

let dovecot: DovecotHandle;
let postern: PosternHandle;
let endpoint: http.Server;
/** Every introspection request: who asked (Postern authenticates, Dovecot does not) and for which token. */
const asked: Array<{ by: 'postern' | 'other'; token: string; basicOk: boolean }> = [];
let failing = false;
const port = { imap: 0, pop3: 0 };

function startEndpoint(): Promise<number> {
  endpoint = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('latin1')));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const token = form.get('token') ?? '';
      const auth = req.headers.authorization;
      asked.push({ by: auth ? 'postern' : 'other', token, basicOk: auth === POSTERN_AUTH && form.get('token_type_hint') === 'access_token' });
      if (failing) {
        res.statusCode = 500;
        return void res.end('{"error":"temporarily_unavailable"}');
      }
      // Dovecot reads `username` as the login it must match; an unknown token is inactive.
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ ...(ANSWERS[token] ?? { active: false }), exp: Math.floor(Date.now() / 1000) + 3600 }));
    });
  });
  return new Promise((resolve) => endpoint.listen(0, '127.0.0.1', () => resolve((endpoint.address() as AddressInfo).port)));
}

before(async () => {
  const endpointPort = await startEndpoint();
  const introspectionUrl = `http://127.0.0.1:${endpointPort}/introspect`;
  dovecot = await startDovecot({ label: 'dovecot-oauth', users: [{ user: ALICE, password: 'unused' }], oauth2: { introspectionUrl } });
  dovecot.deliver(ALICE, 'From: a@example.com\r\nTo: alice@example.com\r\nSubject: token mail\r\n\r\nbody\r\n');
  [port.imap, port.pop3] = (await freePorts(2)) as [number, number];
  postern = await startPostern({
    env: { POSTERN_AUTH_FAILURE_WAIT_SECONDS: '1' },
    setup: async (dir) => {
      await dir.addDomain('example.com');
      await dir.addBackend({ name: 'dovecot', host: '127.0.0.1', ports: { imap: dovecot.ports.imap, pop3: dovecot.ports.pop3 } });
      await dir.setRoute('default', null, 'dovecot');
      await dir.addMailbox({ address: ALICE, passwordHash: await hashPassword('alice pw') });
      await dir.addMailbox({ address: 'bob@example.com', passwordHash: null });
      await dir.addAlias('info@example.com', ALICE);
    },
    mailProxy: (ctx) => {
      writeFileSync(join(ctx.dir, 'oauth-client-secret'), `${CLIENT_SECRET}\n`, { mode: 0o600 });
      const listener = (protocol: string, p: number, ...rest: string[]) =>
        ['[[mail_proxy.listeners]]', `protocol = "${protocol}"`, `port = ${p}`, 'auth = ["plain", "oauthbearer", "xoauth2"]', ...rest].join('\n');
      return [
        '[mail_proxy]',
        'enabled = true',
        'server_name = "proxy.test"',
        // POP3 over HTTP to `postern serve`'s own endpoint, as any auth server; IMAP in-process.
        `auth_http = "${ctx.authUrl}"`,
        `auth_http_headers = { ${JSON.stringify(ctx.secretHeader)} = ${JSON.stringify(ctx.secret)} }`,
        listener('imap', port.imap, 'auth_http = "in-process"'),
        listener('pop3', port.pop3),
        '[oauth]',
        `introspection_url = "${introspectionUrl}"`,
        'client_id = "postern"',
        'client_secret_file = "oauth-client-secret"',
        'required_scope = "mail"',
        'timeout_ms = 1500',
      ].join('\n\n');
    },
  });
});

after(async () => {
  await Promise.allSettled([postern?.stop()]);
  await Promise.allSettled([dovecot?.stop(), new Promise((r) => endpoint?.close(r))]);
});

beforeEach(() => {
  failing = false;
});

const PYTHON = String.raw`
import base64, imaplib, json, poplib, sys
a = json.loads(sys.argv[1])
if a['mech'] == 'OAUTHBEARER':
    response = 'n,a=%s,\x01auth=Bearer %s\x01\x01' % (a['user'], a['token'])
else:
    response = 'user=%s\x01auth=Bearer %s\x01\x01' % (a['user'], a['token'])
out = {}
try:
    if a['protocol'] == 'imap':
        m = imaplib.IMAP4('127.0.0.1', a['port'], timeout=10)
        sent = []
        def step(challenge):
            if sent:
                return b'\x01' if a['mech'] == 'OAUTHBEARER' else b''
            sent.append(1)
            return response.encode('latin1')
        try:
            typ, data = m.authenticate(a['mech'], step)
            out['login'] = '%s %s' % (typ, data[0].decode())
            m.select('INBOX')
            typ, data = m.fetch('1', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
            out['subject'] = data[0][1].decode().strip()
            m.logout()
        except imaplib.IMAP4.error as e:
            out['error'] = str(e)
    else:
        p = poplib.POP3('127.0.0.1', a['port'], timeout=10)
        try:
            r = p._shortcmd('AUTH %s %s' % (a['mech'], base64.b64encode(response.encode('latin1')).decode()))
            if not r.startswith(b'+OK'):
                r = p._shortcmd(base64.b64encode(b'\x01' if a['mech'] == 'OAUTHBEARER' else b'').decode())
            out['login'] = r.decode()
            out['subject'] = [l.decode() for l in p.retr(1)[1] if l.startswith(b'Subject:')][0]
            p.quit()
        except poplib.error_proto as e:
            out['error'] = e.args[0].decode()
except Exception as e:
    out['exception'] = '%s: %s' % (type(e).__name__, e)
print(json.dumps(out))
`;

interface Result {
  login?: string;
  subject?: string;
  error?: string;
  exception?: string;
}

async function login(protocol: 'imap' | 'pop3', mech: 'XOAUTH2' | 'OAUTHBEARER', user: string, token: string): Promise<{ res: Result; decision: Record<string, unknown>; asked: typeof asked }> {
  const since = postern.logs.length;
  const before = asked.length;
  const run = await runProcess('python3', ['-c', PYTHON, JSON.stringify({ protocol, port: port[protocol], mech, user, token })], { timeoutMs: 20_000 });
  let res: Result;
  try {
    res = JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as Result;
  } catch {
    throw new Error(`python client: exit ${run.code}\n${run.stdout}\n${run.stderr}`);
  }
  const decision = await postern.waitForDecision(() => true, { since });
  return { res, decision, asked: asked.slice(before) };
}

describe('through the mail proxy', () => {
  test('a good token: Postern asks the endpoint as client "postern", answers OK without Auth-Pass, and Dovecot checks the token passed on', async () => {
    const { res, decision, asked: seen } = await login('imap', 'XOAUTH2', ALICE, GOOD);
    assert.match(res.login ?? JSON.stringify(res), /^OK .*Logged in/);
    assert.equal(res.subject, 'Subject: token mail');
    assert.deepEqual([decision.method, decision.reason, decision.mailbox, decision.result, decision.cache], ['xoauth2', 'ok', ALICE, 'ok', undefined]);
    assert.deepEqual(seen, [
      { by: 'postern', token: GOOD, basicOk: true },
      { by: 'other', token: GOOD, basicOk: false },
    ]);
    assert.match(dovecot.log(), /imap-login: Info: Login: user=<alice@example\.com>, method=XOAUTH2/);
  });

  test('again, by an alias and OAUTHBEARER, over POP3: answered from the introspection cache; the backend is told the mailbox', async () => {
    const { res, decision, asked: seen } = await login('pop3', 'OAUTHBEARER', 'info@example.com', GOOD);
    assert.match(res.login ?? JSON.stringify(res), /^\+OK/);
    assert.equal(res.subject, 'Subject: token mail');
    assert.deepEqual([decision.method, decision.reason, decision.mailbox, decision.cache, decision.user], ['oauthbearer', 'ok', ALICE, 'hit', 'info@example.com']);
    assert.deepEqual(seen, [{ by: 'other', token: GOOD, basicOk: false }], 'only Dovecot asked');
  });

  test('a revoked token, and a good token in another user\'s name: the same refusal; Dovecot is never asked', async () => {
    const revoked = await login('imap', 'OAUTHBEARER', ALICE, REVOKED);
    const other = await login('imap', 'XOAUTH2', ALICE, BOBS);
    for (const r of [revoked, other]) assert.match(r.res.error ?? JSON.stringify(r.res), /\[AUTHENTICATIONFAILED\] Invalid login or password/);
    assert.deepEqual([revoked.decision.reason, revoked.decision.result, revoked.decision.mailbox], ['token-inactive', 'fail', ALICE]);
    assert.deepEqual([other.decision.reason, other.decision.mailbox], ['token-user-mismatch', ALICE]);
    assert.deepEqual([...revoked.asked, ...other.asked].map((a) => a.by), ['postern', 'postern']);
  });

  test('the endpoint failing: a temporary failure, and the log says why', async () => {
    failing = true;
    const { res, decision } = await login('imap', 'XOAUTH2', ALICE, 'tok-new-TOKEN.4');
    assert.match(res.error ?? JSON.stringify(res), /\[UNAVAILABLE\] Temporary server problem, try again later/);
    assert.deepEqual([decision.reason, decision.result], ['oauth-unavailable', 'tempfail']);
    assert.match(String(decision.problem), /^introspection endpoint http:\/\/127\.0\.0\.1:\d+\/introspect: answered HTTP 500$/);
  });
});

describe("Postern's auth endpoint, asked directly", () => {
  async function ask(headers: Record<string, string>): Promise<string> {
    const args = ['-sS', '-i', '--max-time', '10', '-H', `${postern.config.auth.secret_header}: ${postern.secret}`];
    // curl drops a header given as `Name:`; `Name;` sends it empty, as nginx sends an empty Auth-User.
    for (const [k, v] of Object.entries({ 'Auth-Protocol': 'imap', 'Auth-Login-Attempt': '1', 'Client-IP': '192.0.2.44', ...headers })) args.push('-H', v === '' ? `${k};` : `${k}: ${v}`);
    const res = await runCurl([...args, `http://${postern.authUrl}`]);
    assert.equal(res.code, 0, res.stderr);
    return res.stdout;
  }

  test('OK names the backend and the mailbox, with no Auth-Pass; a bad token gets the wrong-password answer with Auth-Wait', async () => {
    const ok = await ask({ 'Auth-Method': 'oauthbearer', 'Auth-User': '', 'Auth-Pass': GOOD });
    assert.equal(ok, `HTTP/1.0 200 OK\r\nAuth-Status: OK\r\nAuth-Server: 127.0.0.1\r\nAuth-Port: ${dovecot.ports.imap}\r\nAuth-User: ${ALICE}\r\n\r\n`);
    const bad = await ask({ 'Auth-Method': 'xoauth2', 'Auth-User': 'nobody@example.com', 'Auth-Pass': 'tok-guess.5' });
    assert.equal(bad, 'HTTP/1.0 200 OK\r\nAuth-Status: [AUTHENTICATIONFAILED] Invalid login or password\r\nAuth-Wait: 1\r\n\r\n');
  });

  test('no token reaches any log line', async () => {
    await postern.waitForDecision((l) => l.user === 'nobody@example.com');
    const output = postern.output();
    for (const token of [GOOD, BOBS, REVOKED, 'tok-new-TOKEN.4', 'tok-guess.5']) assert.ok(!output.includes(token), `${token} in the log`);
    assert.ok(!output.includes(CLIENT_SECRET) && !output.includes(POSTERN_AUTH.slice(6)), 'nor the client secret');
  });
});
