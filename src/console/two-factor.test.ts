/**
 * The console's second factor over real sockets with a real SQLite directory and a real vault
 * keyring, on a manual clock (so TOTP steps are exact): enrolment and its recovery codes, the
 * two-step login with a new session id at the second factor, replayed codes refused, recovery
 * codes good once, wrong codes counted towards the login limits, an admin required to use 2FA
 * confined to enrolment, and every change of the factor ending the other sessions. The log is
 * captured and checked to never hold the secret or a code.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Secret } from 'otpauth';
import { adminSettings, createLoginDefence, totpCode, type AdminSettings } from '../admin/index.js';
import { configSchema } from '../config/schema.js';
import { createMemoryCounters } from '../defence/memory-counters.js';
import { createLogger } from '../log/logger.js';
import { dummyVerify, hashPassword, verifyPassword } from '../passwords/index.js';
import { manualClock, openTempDirectory, type TempDirectory } from '../store/test-support.js';
import { testKeyring } from '../vault/test-support.js';
import { createConsoleServer, type ConsoleServer } from './index.js';
import { consoleClient, type Res } from './test-support.js';

const CHEAP = { memoryKiB: 1024, iterations: 1, parallelism: 1 };
const PW = 'a long password';
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://console.test' };


describe('console second factor over HTTP', () => {
  let t: TempDirectory;
  let server: ConsoleServer;
  let port: number;
  let settings: AdminSettings;
  let clock: ReturnType<typeof manualClock>;
  let logText: string;

  const http = consoleClient(() => port);
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const cookieOf = (r: Res): string | undefined =>
    ([] as string[]).concat(r.headers['set-cookie'] ?? []).find((c) => c.startsWith('postern_admin='))?.split(';')[0];
  const csrfOf = (body: string): string => /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? assert.fail('no CSRF field on the page');

  /** The password step; answers the cookie it set and where it sent the browser. */
  async function password(name = 'root'): Promise<{ cookie: string; location: string; res: Res }> {
    const res = await http('POST', '/gw/login', { ...FORM, Cookie: 'postern_admin_check=1' }, form({ name, password: PW, next: '/sessions' }));
    assert.equal(res.status, 303, res.body);
    return { cookie: cookieOf(res) ?? assert.fail('no session cookie'), location: String(res.headers.location), res };
  }
  async function post(cookie: string, path: string, fields: Record<string, string> = {}, pagePath = path): Promise<Res> {
    const page = await http('GET', pagePath, { Cookie: cookie });
    return http('POST', path, { ...FORM, Cookie: cookie }, form({ csrf: csrfOf(page.body), ...fields }));
  }
  /** Signs in with the password and enrols through the pages; answers the seed, the codes and the new cookie. */
  async function enrol(cookie: string): Promise<{ seed: Buffer; codes: string[]; cookie: string; page: Res }> {
    const started = await post(cookie, '/gw/2fa/enrol', {}, '/gw/2fa');
    assert.equal(started.status, 303);
    const page = await http('GET', '/gw/2fa', { Cookie: cookie });
    const text = /data-role="totp-secret">([A-Z2-7 ]+)</.exec(page.body)?.[1] ?? assert.fail(`no secret on the enrolment page: ${page.body}`);
    assert.match(page.body, /otpauth:\/\/totp\/Postern:root%40console\.test\?/);
    const seed = Buffer.from(Secret.fromBase32(text.replace(/ /g, '')).buffer);
    const wrong = await post(cookie, '/gw/2fa/confirm', { code: totpCode(seed, clock.clock()) === '000000' ? '111111' : '000000' }, '/gw/2fa');
    assert.equal(wrong.status, 400);
    assert.match(wrong.body, /data-code="bad-code"/);
    const done = await post(cookie, '/gw/2fa/confirm', { code: totpCode(seed, clock.clock()) }, '/gw/2fa');
    assert.equal(done.status, 200, done.body);
    const codes = [...done.body.matchAll(/<li><code>([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})<\/code><\/li>/g)].map((m) => m[1] as string);
    assert.equal(codes.length, 10);
    const fresh = cookieOf(done) ?? assert.fail('confirming gives a new session id');
    assert.notEqual(fresh, cookie);
    return { seed, codes, cookie: fresh, page: done };
  }
  /** The full two-step login with a code; answers the full session's cookie. */
  async function login(code: string, name = 'root'): Promise<{ half: string; full: string; res: Res }> {
    const { cookie: half, location } = await password(name);
    assert.equal(location, 'http://console.test/gw/login/2fa?next=%2Fsessions');
    const res = await post(half, '/gw/login/2fa', { code, next: '/sessions' });
    return { half, full: cookieOf(res) ?? '', res };
  }
  const isSignedIn = async (cookie: string) => (await http('GET', '/gw/api/v1/session', { Cookie: cookie })).status === 200;

  beforeEach(async () => {
    t = await openTempDirectory();
    await t.dir.addAdmin('root', await hashPassword(PW, CHEAP));
    clock = manualClock('2030-01-01T00:00:05.000Z');
    logText = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((logText += chunk.toString()), done()) });
    settings = adminSettings(configSchema.parse({ admin: { public_url: 'http://console.test/gw/', login_ip_limit: 4, login_name_limit: 50 } }).admin);
    server = createConsoleServer({
      settings,
      store: t.dir,
      defence: createLoginDefence(settings.login, createMemoryCounters({ maxKeys: 100, maxMembers: 100 })),
      passwords: { verify: (h, p) => verifyPassword(h, Buffer.from(p)), dummyVerify: (p) => dummyVerify(Buffer.from(p), CHEAP) },
      keyring: testKeyring([['k1', 'active']]),
      log: createLogger('debug', sink),
      clock: clock.clock,
    });
    port = (await server.listen('127.0.0.1', 0)).port;
  });
  afterEach(async () => {
    await server.close();
    await t.cleanup();
  });

  it('enrols: the secret is shown only while pending and stored encrypted; confirming shows 10 codes once, renews the id and ends other sessions', async () => {
    const other = (await password()).cookie;
    const { cookie } = await password();
    const intro = await http('GET', '/gw/2fa', { Cookie: cookie });
    assert.match(intro.body, /Set up two-factor authentication/);
    const { seed, codes, cookie: fresh } = await enrol(cookie);
    const stored = (await t.dir.getTotp((await t.dir.getAdmin('root'))!.id)).secret ?? '';
    assert.match(stored, /^pv1\.k1\./, 'a vault ciphertext');
    assert.ok(!stored.includes(new Secret({ buffer: seed.buffer.slice(seed.byteOffset, seed.byteOffset + 20) as ArrayBuffer }).base32));
    assert.equal(await isSignedIn(cookie), false, 'the id from before the second factor is dead');
    assert.equal(await isSignedIn(other), false, 'other sessions ended');
    assert.equal(await isSignedIn(fresh), true);
    const after = await http('GET', '/gw/2fa', { Cookie: fresh });
    assert.match(after.body, /data-role="recovery-left">10</);
    assert.ok(!after.body.includes('data-role="totp-secret"'), 'the secret is not shown once 2FA is on');
    for (const c of codes) assert.ok(!after.body.includes(c), 'recovery codes are never shown again');
    const secretText = new Secret({ buffer: seed.buffer.slice(seed.byteOffset, seed.byteOffset + 20) as ArrayBuffer }).base32;
    assert.ok(!logText.includes(secretText), 'the log never holds the secret');
    for (const c of codes) assert.ok(!logText.includes(c), 'nor a recovery code');
    assert.match(logText, /"event":"admin-2fa","admin":"root","action":"enabled","revoked_sessions":2,"via":"form"/);
  });

  it('logs in in two steps with a new id at the second factor; the half session can do nothing else; a replayed code is refused', async () => {
    const { seed } = await enrol((await password()).cookie);
    clock.advance(30); // the confirming code's step is used
    const { cookie: half } = await password();
    const blocked = await http('GET', '/gw/mailboxes', { Cookie: half });
    assert.equal(blocked.status, 302);
    assert.equal(blocked.headers.location, 'http://console.test/gw/login/2fa');
    const api = await http('GET', '/gw/api/v1/mailboxes', { Cookie: half });
    assert.equal(api.status, 401);
    assert.match(api.body, /second-factor-required/);
    const code = totpCode(seed, clock.clock());
    const ok = await post(half, '/gw/login/2fa', { code, next: '/sessions' });
    assert.equal(ok.status, 303, ok.body);
    assert.equal(ok.headers.location, 'http://console.test/gw/sessions');
    const full = cookieOf(ok) ?? assert.fail('a new cookie');
    assert.notEqual(full, half);
    assert.equal(await isSignedIn(full), true);
    assert.equal((await http('GET', '/gw/login/2fa', { Cookie: half })).status, 302, 'the half session ended');

    const replay = await login(code);
    assert.equal(replay.res.status, 401);
    assert.match(replay.res.body, /data-code="code-already-used"/);
    const earlier = await login(totpCode(seed, new Date(clock.clock().getTime() - 30_000)));
    assert.match(earlier.res.body, /data-code="code-already-used"/, 'an older code inside the window, after a newer one');
    clock.advance(30);
    const next = await login(totpCode(seed, clock.clock()));
    assert.equal(next.res.status, 303, 'the next step\'s code is good');
    assert.match(logText, /"event":"admin-login","result":"ok","factor":"totp"/);
  });

  it('a recovery code signs in once, in any spelling', async () => {
    const { codes } = await enrol((await password()).cookie);
    const code = codes[3] as string;
    const first = await login(code.toLowerCase().replace(/-/g, ' '));
    assert.equal(first.res.status, 303, first.res.body);
    assert.equal(first.res.headers.location, 'http://console.test/gw/2fa?recovery=used');
    const page = await http('GET', '/gw/2fa?recovery=used', { Cookie: first.full });
    assert.match(page.body, /data-role="recovery-left">9</);
    const again = await login(code);
    assert.equal(again.res.status, 401);
    assert.match(again.res.body, /data-code="bad-recovery-code"/);
  });

  it('wrong codes count towards the console login limits, and then even the right code waits', async () => {
    const { seed } = await enrol((await password()).cookie);
    clock.advance(30);
    const { cookie: half } = await password();
    for (const wrong of ['000001', '000002', '000003', '000004']) {
      if (wrong === totpCode(seed, clock.clock())) continue;
      const r = await post(half, '/gw/login/2fa', { code: wrong });
      assert.equal(r.status, 401);
    }
    const right = await post(half, '/gw/login/2fa', { code: totpCode(seed, clock.clock()) });
    assert.equal(right.status, 429);
    assert.match(right.body, /data-code="too-many-failures"/);
  });

  it('wrong codes asked for by a signed-in change count too: a stolen session cannot guess its way to turning 2FA off', async () => {
    const { seed, cookie } = await enrol((await password()).cookie);
    clock.advance(30);
    for (const wrong of ['000001', '000002', '000003', '000004']) {
      if (wrong === totpCode(seed, clock.clock())) continue;
      assert.equal((await post(cookie, '/gw/2fa/disable', { code: wrong }, '/gw/2fa')).status, 401);
    }
    const right = await post(cookie, '/gw/2fa/disable', { code: totpCode(seed, clock.clock()) }, '/gw/2fa');
    assert.equal(right.status, 429, right.body);
    assert.match(right.body, /data-code="too-many-failures"/);
    const api = await http('POST', '/gw/api/v1/2fa/recovery-codes', { 'Content-Type': 'application/json', Origin: 'http://console.test', Cookie: cookie, 'X-CSRF-Token': csrfOf((await http('GET', '/gw/2fa', { Cookie: cookie })).body) }, JSON.stringify({ code: totpCode(seed, clock.clock()) }));
    assert.equal(api.status, 429, api.body);
    assert.equal((await t.dir.getAdmin('root'))?.twoFactor, 'on', '2FA stayed on');
    // The same counts guard the login: even the right password now waits.
    const login = await http('POST', '/gw/login', { ...FORM, Cookie: 'postern_admin_check=1' }, form({ name: 'root', password: PW, next: '/sessions' }));
    assert.equal(login.status, 429, login.body);
    assert.match(login.body, /data-code="too-many-failures"/);
  });

  it('an admin required to use 2FA reaches only enrolment after the password, then may not turn it off', async () => {
    await t.dir.setTotpRequired('root', true);
    const { cookie, location } = await password();
    assert.equal(location, 'http://console.test/gw/2fa');
    assert.equal((await http('GET', '/gw/mailboxes', { Cookie: cookie })).headers.location, 'http://console.test/gw/2fa');
    assert.equal((await http('GET', '/gw/sessions', { Cookie: cookie })).headers.location, 'http://console.test/gw/2fa');
    assert.equal((await http('GET', '/gw/api/v1/session', { Cookie: cookie })).status, 401);
    const page = await http('GET', '/gw/2fa', { Cookie: cookie });
    assert.match(page.body, /data-code="two-factor-required"/);
    assert.ok(!page.body.includes('aria-label="Main"'), 'no navigation for a half session');
    const { seed, cookie: full } = await enrol(cookie);
    assert.equal((await http('GET', '/gw/mailboxes', { Cookie: full })).status, 200);
    clock.advance(30);
    const off = await post(full, '/gw/2fa/disable', { code: totpCode(seed, clock.clock()) }, '/gw/2fa');
    assert.equal(off.status, 403);
    assert.match(off.body, /data-code="two-factor-required"/);
    assert.equal((await t.dir.getAdmin('root'))?.twoFactor, 'on');
  });

  it('new recovery codes and turning 2FA off need a current code and end the other sessions', async () => {
    const { seed, codes, cookie } = await enrol((await password()).cookie);
    clock.advance(30);
    const other = await login(totpCode(seed, clock.clock()));
    assert.equal(await isSignedIn(other.full), true);
    const refused = await post(cookie, '/gw/2fa/recovery-codes', { code: 'AAAA-BBBB-CCCC-DDDD' }, '/gw/2fa');
    assert.equal(refused.status, 401);
    assert.equal(await isSignedIn(other.full), true, 'a refused change ends nothing');
    const renewed = await post(cookie, '/gw/2fa/recovery-codes', { code: codes[0] as string }, '/gw/2fa');
    assert.equal(renewed.status, 200, renewed.body);
    assert.equal(await isSignedIn(other.full), false, 'the other session ended');
    assert.equal(await isSignedIn(cookie), true, 'this one stays');
    const fresh = [...renewed.body.matchAll(/<li><code>([0-9A-Z-]{19})<\/code><\/li>/g)].map((m) => m[1]);
    assert.equal(fresh.length, 10);
    assert.ok(!fresh.includes(codes[1]));

    const third = await login(fresh[0] as string);
    assert.equal(await isSignedIn(third.full), true);
    clock.advance(30);
    const off = await post(cookie, '/gw/2fa/disable', { code: totpCode(seed, clock.clock()) }, '/gw/2fa');
    assert.equal(off.status, 303);
    assert.equal(await isSignedIn(third.full), false);
    assert.equal(await isSignedIn(cookie), true);
    const plain = await password();
    assert.equal(plain.location, 'http://console.test/gw/sessions', 'the password alone signs in again');
    const api = JSON.parse((await http('GET', '/gw/api/v1/2fa', { Cookie: plain.cookie })).body) as Record<string, unknown>;
    assert.deepEqual(api, { state: 'off', required: false, enabledAt: null, recoveryCodesLeft: 0 });
  });
});
