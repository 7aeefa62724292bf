/**
 * The second factor through the API (POST /api/v1/2fa/enrol, /confirm, /recovery-codes,
 * /disable) over real sockets, a real SQLite directory and a real vault keyring, on a manual
 * clock so TOTP steps are exact. Codes are computed with the otpauth package from the key the
 * API returned, as an authenticator app would. Checked: what the caller gets back (the key and
 * the recovery codes once), which sessions survive, replayed and wrong codes refused, the
 * operator's requirement, API tokens and requests without the CSRF token refused, the audit
 * lines, and that neither the key nor a code is ever logged.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Secret, TOTP, URI } from 'otpauth';
import { newApiToken } from '../admin/index.js';
import { manualClock } from '../store/test-support.js';
import { testKeyring } from '../vault/test-support.js';
import type { Res } from './test-support.js';
import { codeOf, ORIGIN, startTestConsole, TEST_PASSWORD, type Session, type TestConsole } from './test-console.js';

const RECOVERY = /^[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}$/;
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN };

describe('second factor through the API', () => {
  let c: TestConsole;
  let clock: ReturnType<typeof manualClock>;
  afterEach(() => c.close());

  async function start(opts: { vault?: boolean } = {}): Promise<void> {
    clock = manualClock('2030-01-01T00:00:05.000Z');
    c = await startTestConsole({ keyring: opts.vault === false ? null : testKeyring([['k1', 'active']]), clock: clock.clock });
  }
  const body = <T = Record<string, unknown>>(r: Res): T => JSON.parse(r.body) as T;
  const cookieOf = (r: Res): string | undefined => ([] as string[]).concat(r.headers['set-cookie'] ?? []).find((x) => x.startsWith('postern_admin='))?.split(';')[0];
  const signedIn = async (s: Session) => (await c.api('GET', '/session', s)).status === 200;
  const state = async (s: Session) => body(await c.api('GET', '/2fa', s));
  /** The code an authenticator app with this key shows now (or `seconds` from now). */
  const codeFor = (secret: string, seconds = 0) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: clock.clock().getTime() + seconds * 1000 });

  /** Enrols `s` through the API; answers the key, the recovery codes and the session that continues. */
  async function enrol(s: Session): Promise<{ secret: string; codes: string[]; session: Session }> {
    const started = await c.api('POST', '/2fa/enrol', s);
    assert.equal(started.status, 200, started.body);
    const { secret } = body<{ secret: string }>(started);
    const done = await c.api('POST', '/2fa/confirm', s, { code: codeFor(secret) });
    assert.equal(done.status, 200, done.body);
    const b = body<{ recoveryCodes: string[]; csrfToken: string }>(done);
    return { secret, codes: b.recoveryCodes, session: { cookie: cookieOf(done) ?? assert.fail('no new session cookie'), csrf: b.csrfToken } };
  }

  /** The two-step sign-in through the login pages with a TOTP or recovery code; answers the full session, or the refusing answer. */
  async function signIn(code: string): Promise<Session | Res> {
    const pw = await c.http('POST', '/gw/login', { ...FORM, Cookie: 'postern_admin_check=1' }, new URLSearchParams({ name: 'root', password: TEST_PASSWORD }).toString());
    const half = cookieOf(pw) ?? assert.fail('no half session');
    assert.match(String(pw.headers.location), /\/gw\/login\/2fa/);
    const page = await c.http('GET', '/gw/login/2fa', { Cookie: half });
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? assert.fail('no CSRF field');
    const r = await c.http('POST', '/gw/login/2fa', { ...FORM, Cookie: half }, new URLSearchParams({ csrf, code }).toString());
    if (r.status !== 303) return r;
    const cookie = cookieOf(r) ?? assert.fail('no full session cookie');
    return { cookie, csrf: body<{ csrfToken: string }>(await c.http('GET', '/gw/api/v1/session', { Cookie: cookie })).csrfToken };
  }
  const full = (x: Session | Res): Session => ('cookie' in x ? x : assert.fail(`sign-in refused: ${x.status} ${x.body}`));

  it('enrols: the key and its otpauth URI once, a wrong code refused, the first code turns 2FA on with 10 recovery codes and a new session', async () => {
    await start();
    const s = await c.session();
    const other = await c.session();
    const started = await c.api('POST', '/2fa/enrol', s);
    assert.equal(started.status, 200, started.body);
    const e = body<{ state: string; secret: string; uri: string }>(started);
    assert.equal(e.state, 'pending');
    assert.match(e.secret, /^[A-Z2-7]{32}$/, '160 bits of base32');
    const parsed = URI.parse(e.uri);
    assert.ok(parsed instanceof TOTP);
    assert.deepEqual([parsed.issuer, parsed.label, parsed.secret.base32, parsed.digits, parsed.period], ['Postern', 'root@console.test', e.secret, 6, 30]);
    assert.deepEqual(await state(s), { state: 'pending', required: false, enabledAt: null, recoveryCodesLeft: 0 });
    assert.ok(!(await c.api('GET', '/2fa', s)).body.includes(e.secret), 'the key is not readable afterwards');
    // The console's enrolment page shows the same pending key: one operation behind both.
    const page = await c.http('GET', '/gw/2fa', { Cookie: s.cookie });
    assert.equal(/data-role="totp-secret">([A-Z2-7 ]+)</.exec(page.body)?.[1]?.replace(/ /g, ''), e.secret);

    const right = codeFor(e.secret);
    const wrong = await c.api('POST', '/2fa/confirm', s, { code: right === '000000' ? '111111' : '000000' });
    assert.equal(wrong.status, 400);
    assert.equal(codeOf(wrong), 'bad-code');
    const malformed = await c.api('POST', '/2fa/confirm', s, { code: '12ab' });
    assert.equal(codeOf(malformed), 'bad-code');
    assert.equal((await state(s)).state, 'pending', 'a wrong code changes nothing');
    assert.equal(await signedIn(other), true);

    const done = await c.api('POST', '/2fa/confirm', s, { code: right });
    assert.equal(done.status, 200, done.body);
    const b = body<{ state: string; recoveryCodes: string[]; csrfToken: string }>(done);
    assert.equal(b.state, 'on');
    assert.equal(b.recoveryCodes.length, 10);
    assert.equal(new Set(b.recoveryCodes).size, 10);
    for (const code of b.recoveryCodes) assert.match(code, RECOVERY);
    const fresh: Session = { cookie: cookieOf(done) ?? assert.fail('a new session cookie'), csrf: b.csrfToken };
    assert.notEqual(fresh.cookie, s.cookie);
    assert.equal(await signedIn(s), false, 'the id from before the change is dead');
    assert.equal(await signedIn(other), false, 'other sessions ended');
    assert.equal(await signedIn(fresh), true);
    const now = await state(fresh);
    assert.equal(now.state, 'on');
    assert.equal(now.recoveryCodesLeft, 10);
    // The new session's CSRF token works for the next change.
    assert.notEqual((await c.api('POST', '/2fa/enrol', fresh)).status, 403);

    // The next password sign-in asks for the second factor, and the app's next code passes it.
    clock.advance(30);
    assert.equal(await signedIn(full(await signIn(codeFor(e.secret)))), true);

    const log = c.logText();
    assert.ok(!log.includes(e.secret), 'the key is never logged');
    for (const code of b.recoveryCodes) assert.ok(!log.includes(code), 'nor a recovery code');
    const audit = c.logs.filter((l) => l.event === 'admin-2fa').map((l) => [l.action, l.admin, l.via]);
    assert.deepEqual(audit.slice(0, 2), [
      ['enrolment-started', 'root', 'session'],
      ['enabled', 'root', 'session'],
    ]);
  });

  it('starting again replaces the pending key: a code of the first key no longer confirms', async () => {
    await start();
    const s = await c.session();
    const first = body<{ secret: string }>(await c.api('POST', '/2fa/enrol', s)).secret;
    const second = body<{ secret: string }>(await c.api('POST', '/2fa/enrol', s)).secret;
    assert.notEqual(first, second);
    const stale = await c.api('POST', '/2fa/confirm', s, { code: codeFor(first) });
    assert.equal(stale.status, 400);
    assert.equal(codeOf(stale), 'bad-code');
    assert.equal((await c.api('POST', '/2fa/confirm', s, { code: codeFor(second) })).status, 200);
  });

  it('refuses a replayed code; new recovery codes need a fresh code, replace the old ones and end the other sessions', async () => {
    await start();
    const { secret, codes, session: s } = await enrol(await c.session());
    // The code that confirmed the enrolment is used: not even this session can use it again.
    const replay = await c.api('POST', '/2fa/recovery-codes', s, { code: codeFor(secret) });
    assert.equal(replay.status, 403);
    assert.equal(codeOf(replay), 'code-already-used');
    const other = full(await signIn(codes[0] as string));
    clock.advance(30);
    const wrong = await c.api('POST', '/2fa/recovery-codes', s, { code: codeFor(secret, 300) });
    assert.equal(wrong.status, 403);
    assert.equal(codeOf(wrong), 'bad-code');
    const unused = await c.api('POST', '/2fa/recovery-codes', s, { code: 'AAAA-BBBB-CCCC-DDDD' });
    assert.equal(codeOf(unused), 'bad-recovery-code');
    assert.equal(await signedIn(other), true, 'a refused change ends nothing');
    assert.equal((await state(s)).recoveryCodesLeft, 9, 'one was spent signing in');

    const code = codeFor(secret);
    const renewed = await c.api('POST', '/2fa/recovery-codes', s, { code });
    assert.equal(renewed.status, 200, renewed.body);
    const fresh = body<{ recoveryCodes: string[] }>(renewed).recoveryCodes;
    assert.equal(fresh.length, 10);
    for (const x of fresh) assert.match(x, RECOVERY);
    assert.ok(!fresh.some((x) => codes.includes(x)));
    assert.equal(await signedIn(other), false, 'the other session ended');
    assert.equal(await signedIn(s), true, 'this one stays');
    assert.equal((await state(s)).recoveryCodesLeft, 10);
    const again = await c.api('POST', '/2fa/recovery-codes', s, { code });
    assert.equal(codeOf(again), 'code-already-used', 'the same code twice in one time step');

    const old = await signIn(codes[1] as string);
    assert.ok(!('cookie' in old) && old.status === 401 && /data-code="bad-recovery-code"/.test(old.body), 'the old recovery codes no longer sign in');
    assert.equal(await signedIn(full(await signIn(fresh[0] as string))), true, 'the new ones do');
    assert.ok(!c.logText().includes(fresh[1] as string));
    const audit = c.logs.filter((l) => l.event === 'admin-2fa' && l.action === 'new-recovery-codes');
    assert.deepEqual(
      audit.map((l) => [l.result ?? 'ok', l.reason ?? null, l.via]),
      [
        ['fail', 'code-already-used', 'session'],
        ['fail', 'bad-code', 'session'],
        ['fail', 'bad-recovery-code', 'session'],
        ['ok', null, 'session'],
        ['fail', 'code-already-used', 'session'],
      ],
    );
  });

  it('turns 2FA off with a current code, ending the other sessions; afterwards the password alone signs in', async () => {
    await start();
    const { secret, codes, session: s } = await enrol(await c.session());
    const other = full(await signIn(codes[0] as string));
    const wrong = await c.api('POST', '/2fa/disable', s, { code: codeFor(secret, 300) });
    assert.equal(wrong.status, 403);
    assert.equal(codeOf(wrong), 'bad-code');
    const replay = await c.api('POST', '/2fa/disable', s, { code: codeFor(secret) });
    assert.equal(codeOf(replay), 'code-already-used');
    assert.equal((await state(s)).state, 'on');
    clock.advance(30);
    const off = await c.api('POST', '/2fa/disable', s, { code: codeFor(secret) });
    assert.equal(off.status, 200, off.body);
    assert.deepEqual(body(off), { state: 'off', required: false, enabledAt: null, recoveryCodesLeft: 0 });
    assert.equal(await signedIn(other), false);
    assert.equal(await signedIn(s), true);
    assert.equal(await signedIn(await c.session()), true, 'the password alone signs in again');
    assert.equal(c.logs.filter((l) => l.event === 'admin-2fa' && l.action === 'disabled' && l.via === 'session').length, 1);
    // A recovery code also turns it off (after enrolling again).
    const again = await enrol(s);
    const off2 = await c.api('POST', '/2fa/disable', again.session, { code: again.codes[4] as string });
    assert.equal(off2.status, 200, off2.body);
  });

  it('an admin an operator requires to use 2FA cannot turn it off through the API either', async () => {
    await start();
    const { secret, session: s } = await enrol(await c.session());
    await c.t.dir.setTotpRequired('root', true);
    clock.advance(30);
    const r = await c.api('POST', '/2fa/disable', s, { code: codeFor(secret) });
    assert.equal(r.status, 403);
    assert.equal(codeOf(r), 'two-factor-required');
    assert.deepEqual([(await state(s)).state, (await state(s)).required], ['on', true]);
    // The code was not spent on the refused change: it still makes new recovery codes.
    assert.equal((await c.api('POST', '/2fa/recovery-codes', s, { code: codeFor(secret) })).status, 200);
  });

  it('is refused to API tokens (403 session-required), which change and spend nothing; reading the state is allowed', async () => {
    await start();
    const { secret, session: s } = await enrol(await c.session());
    const { token, tokenHash } = newApiToken();
    await c.t.dir.createApiToken('root', 'script', tokenHash);
    const bearer = { token };
    clock.advance(30);
    const code = codeFor(secret);
    for (const [path, b] of [['/2fa/enrol', undefined], ['/2fa/confirm', { code }], ['/2fa/recovery-codes', { code }], ['/2fa/disable', { code }]] as const) {
      const r = await c.api('POST', path, bearer, b);
      assert.equal(r.status, 403, `${path}: ${r.body}`);
      assert.equal(codeOf(r), 'session-required', path);
      assert.match(body<{ error: { message: string } }>(r).error.message, /console session/);
    }
    const read = await c.api('GET', '/2fa', bearer);
    assert.equal(read.status, 200);
    assert.deepEqual([body(read).state, body(read).recoveryCodesLeft], ['on', 10]);
    assert.equal((await c.api('POST', '/2fa/recovery-codes', s, { code })).status, 200, 'the code a token sent was not spent');
    assert.equal(c.logs.filter((l) => l.event === 'admin-2fa' && l.via === 'token').length, 0);
  });

  it('needs the CSRF token with a session, and passes nothing to a half session', async () => {
    await start();
    const s = await c.session();
    const noCsrf = await c.api('POST', '/2fa/enrol', s, undefined, { csrf: null });
    assert.equal(noCsrf.status, 403);
    assert.equal(codeOf(noCsrf), 'csrf-token-mismatch');
    const wrongCsrf = await c.api('POST', '/2fa/enrol', s, undefined, { csrf: 'x'.repeat(43) });
    assert.equal(codeOf(wrongCsrf), 'csrf-token-mismatch');
    assert.equal((await state(s)).state, 'off');

    const { secret, session: on } = await enrol(s);
    clock.advance(30);
    const code = codeFor(secret);
    for (const path of ['/2fa/recovery-codes', '/2fa/disable']) {
      const r = await c.api('POST', path, on, { code }, { csrf: null });
      assert.equal(codeOf(r), 'csrf-token-mismatch', path);
    }
    const crossSite = await c.http('POST', '/gw/api/v1/2fa/disable', { Cookie: on.cookie, 'X-CSRF-Token': on.csrf, Origin: 'http://evil.test', 'Content-Type': 'application/json' }, JSON.stringify({ code }));
    assert.equal(crossSite.status, 403);
    assert.equal((await state(on)).state, 'on');

    // After the password only (2FA on), the session has not passed the second factor.
    const pw = await c.http('POST', '/gw/login', { ...FORM, Cookie: 'postern_admin_check=1' }, new URLSearchParams({ name: 'root', password: TEST_PASSWORD }).toString());
    const half = await c.http('POST', '/gw/api/v1/2fa/disable', { Cookie: cookieOf(pw) ?? '', Origin: ORIGIN, 'Content-Type': 'application/json' }, JSON.stringify({ code }));
    assert.equal(half.status, 401);
    assert.equal(codeOf(half), 'second-factor-required');
    assert.equal((await c.api('POST', '/2fa/disable', on, { code })).status, 200, 'none of the refused requests spent the code');
  });

  it('answers conflicts and bad bodies as problems', async () => {
    await start();
    const s = await c.session();
    for (const path of ['/2fa/recovery-codes', '/2fa/disable']) {
      const r = await c.api('POST', path, s, { code: '123456' });
      assert.equal(r.status, 409, path);
      assert.equal(codeOf(r), 'two-factor-off');
    }
    const nothing = await c.api('POST', '/2fa/confirm', s, { code: '123456' });
    assert.equal(nothing.status, 409);
    assert.equal(codeOf(nothing), 'no-pending-enrolment');
    for (const b of [{}, { code: 123456 }, { code: '123456', extra: 1 }]) {
      const r = await c.api('POST', '/2fa/confirm', s, b);
      assert.equal(r.status, 400, JSON.stringify(b));
      assert.equal(codeOf(r), 'invalid-body');
    }
    const form = await c.http('POST', '/gw/api/v1/2fa/confirm', { Cookie: s.cookie, Origin: ORIGIN, 'X-CSRF-Token': s.csrf, 'Content-Type': 'application/x-www-form-urlencoded' }, 'code=123456');
    assert.equal(form.status, 415);
    assert.equal(codeOf(form), 'bad-content-type');

    const { session: on } = await enrol(s);
    const twice = await c.api('POST', '/2fa/enrol', on);
    assert.equal(twice.status, 409);
    assert.equal(codeOf(twice), 'two-factor-already-on');
    assert.ok(!('secret' in body(twice)));
    const confirmAgain = await c.api('POST', '/2fa/confirm', on, { code: '123456' });
    assert.equal(confirmAgain.status, 409);
    assert.equal(codeOf(confirmAgain), 'two-factor-already-on');
    assert.equal((await state(on)).state, 'on');
  });

  it('cannot enrol while the vault is off', async () => {
    await start({ vault: false });
    const s = await c.session();
    const r = await c.api('POST', '/2fa/enrol', s);
    assert.equal(r.status, 409);
    assert.equal(codeOf(r), 'vault-off');
    assert.equal((await state(s)).state, 'off');
  });

  it('describes the endpoints in the OpenAPI document', async () => {
    await start();
    const doc = body<{ paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } }>(
      await c.http('GET', '/gw/api/openapi.json'),
    );
    for (const p of ['/2fa/enrol', '/2fa/confirm', '/2fa/recovery-codes', '/2fa/disable']) {
      const op = doc.paths[p]?.post ?? assert.fail(`no POST ${p}`);
      assert.ok(op.responses['200'] && op.responses['403'] && op.responses['409'], p);
      assert.equal(op.requestBody === undefined, p === '/2fa/enrol', p);
    }
    assert.deepEqual(Object.keys(doc.components.schemas.TwoFactorCode?.properties ?? {}), ['code']);
    assert.deepEqual(Object.keys(doc.components.schemas.TwoFactorEnrolment?.properties ?? {}), ['state', 'secret', 'uri']);
    assert.deepEqual(Object.keys(doc.components.schemas.TwoFactorEnabled?.properties ?? {}), ['state', 'recoveryCodes', 'csrfToken']);
  });
});
