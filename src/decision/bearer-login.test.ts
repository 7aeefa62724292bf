/**
 * OAUTHBEARER / XOAUTH2 logins through the decision engine, against a real SQLite directory and
 * a real vault keyring, with the introspection endpoint replaced by a table of answers (the
 * HTTP exchange has its own tests in src/oauth) behind the real cache, and one manual clock.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthRequest, BearerMethod } from '../authhttp/types.js';
import { masterSecretBinding } from '../directory/types.js';
import { createResolver } from '../dns/resolver.js';
import { createDefence } from '../defence/defence.js';
import { testDefenceSettings } from '../defence/test-support.js';
import { defended } from '../defence/defended.js';
import { createMemoryCounters } from '../defence/memory-counters.js';
import { createLogger } from '../log/logger.js';
import { cachedIntrospector, IntrospectionUnavailable, type IntrospectionResponse, type TokenRules } from '../oauth/index.js';
import { dummyVerify, verifyPassword } from '../passwords/index.js';
import { manualClock, openTempDirectory, type TempDirectory } from '../store/test-support.js';
import { encrypt, type Keyring } from '../vault/index.js';
import { testKeyring } from '../vault/test-support.js';
import { createDecider, type Decider, type DeciderDeps } from './decide.js';
import { REFUSALS } from './outcome.js';

const MASTER = 'master pw';
const INVALID = { kind: 'fail', temporary: false, message: REFUSALS.invalid.imap, smtpCode: REFUSALS.invalid.smtpCode, wait: 2 };
const TEMP = { kind: 'fail', temporary: true, message: REFUSALS.temporary.imap, smtpCode: REFUSALS.temporary.smtpCode };

let t: TempDirectory;
let ring: Keyring;
let time: ReturnType<typeof manualClock>;
const nowSeconds = (): number => Math.floor(time.clock().getTime() / 1000);

/** The endpoint's answers by token; `down` makes every ask fail as an unreachable endpoint would. */
const answers = new Map<string, IntrospectionResponse>();
const asked: string[] = [];
let down = false;
const endpoint = {
  async introspect(token: string): Promise<IntrospectionResponse> {
    asked.push(token);
    if (down) throw new IntrospectionUnavailable('introspection endpoint http://127.0.0.1:9/introspect: connect ECONNREFUSED 127.0.0.1:9');
    return answers.get(token) ?? { active: false };
  },
};

function decider(over: { rules?: Partial<TokenRules>; cacheSeconds?: number; configured?: boolean; admitsAccount?: DeciderDeps['admitsAccount'] } = {}): Decider {
  const now = () => time.clock().getTime();
  return createDecider({
    directory: t.dir,
    resolver: createResolver({ ttlSeconds: 60, lookup: async (h) => Promise.reject(new Error(`ENOTFOUND ${h}`)) }),
    passwords: { verify: verifyPassword, dummyVerify },
    settings: { failureWaitSeconds: 2, maxAttempts: 10, defaultDomain: 'example.com', recipientDelimiter: '+' },
    keyring: ring,
    now: time.clock,
    ...(over.admitsAccount ? { admitsAccount: over.admitsAccount } : {}),
    ...(over.configured === false
      ? {}
      : {
          bearer: {
            introspection: cachedIntrospector(endpoint, { cacheSeconds: over.cacheSeconds ?? 60, now }),
            rules: { usernameClaim: 'username', requiredScope: '', ...over.rules },
          },
        }),
  });
}

function bearer(token: string, user = '', over: Partial<AuthRequest> & { method?: BearerMethod } = {}): AuthRequest {
  return { method: 'oauthbearer', protocol: 'imap', user: Buffer.from(user), pass: Buffer.from(token), attempt: 1, clientIp: '192.0.2.10', ...over };
}

/** Gives `token` an active answer for `username`, valid for an hour unless `exp` says otherwise. */
function issue(token: string, username: string, extra: Partial<IntrospectionResponse> = {}): string {
  answers.set(token, { active: true, username, exp: nowSeconds() + 3600, scope: 'openid mail', client_id: 'thunderbird', ...extra });
  return token;
}

before(async () => {
  time = manualClock();
  t = await openTempDirectory();
  ring = testKeyring([['k1', 'active']]);
  await t.dir.addDomain('example.com');
  await t.dir.addBackend({ name: 'plain', host: '10.0.0.2', ports: { imap: 143, pop3: 110, smtp: 587 } });
  await t.dir.addBackend({ name: 'mastered', host: '10.0.0.1', ports: { imap: 143, pop3: 110, smtp: 587 } });
  const m = (await t.dir.getBackend('mastered'))!;
  await t.dir.setBackendMaster('mastered', { user: 'postern', ciphertext: encrypt(ring, 'credentials', Buffer.from(MASTER), masterSecretBinding(m.id)) });
  await t.dir.setRoute('default', null, 'plain');
  for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) await t.dir.addMailbox({ address: `${name}@example.com`, passwordHash: `{PLAIN}${name}-pw` });
  await t.dir.addAlias('info@example.com', 'alice@example.com');
  await t.dir.setRoute('mailbox', 'bob@example.com', 'mastered');
  await t.dir.changeMailbox('bob@example.com', { backendLogin: 'Bob' });
  await t.dir.changeMailbox('carol@example.com', { enabled: false });
  await t.dir.changeMailbox('dave@example.com', { protocols: ['smtp'] });
  await t.dir.changeMailbox('erin@example.com', { backendLogin: 'erin-b' });
});

beforeEach(() => {
  time.advance(86400);
  answers.clear();
  asked.length = 0;
  down = false;
});

after(() => t.cleanup());

describe('a token the endpoint vouches for', () => {
  test('logs in as the mailbox its username names: OK, the route, Auth-User and no Auth-Pass (the proxy passes the token on)', async () => {
    const decide = decider();
    for (const method of ['oauthbearer', 'xoauth2'] as const) {
      for (const [protocol, port] of [['imap', 143], ['pop3', 110], ['smtp', 587]] as const) {
        const token = issue(`tok-${method}-${protocol}`, 'alice@example.com');
        const out = await decide(bearer(token, '', { method, protocol }));
        assert.deepEqual(out.decision, { kind: 'ok', server: '10.0.0.2', port, user: 'alice@example.com' }, `${method} ${protocol}`);
        assert.deepEqual([out.reason, out.mailbox, out.backend, out.verified], ['ok', 'alice@example.com', 'plain', undefined]);
      }
    }
  });

  test('the claim is looked up as a login is: case, default domain, aliases; Auth-User may name the mailbox any such way', async () => {
    const decide = decider();
    const pairs = [['ALICE@Example.COM', 'alice'], ['alice', 'info@example.com'], ['info@example.com', 'Alice@example.com']] as const;
    for (const [i, [claim, authUser]] of pairs.entries()) {
      const out = await decide(bearer(issue(`tok-${i}`, claim), authUser));
      assert.deepEqual(out.decision, { kind: 'ok', server: '10.0.0.2', port: 143, user: 'alice@example.com' }, `${claim} / ${authUser}`);
    }
  });

  test('username_claim picks the member (email, sub)', async () => {
    const byEmail = decider({ rules: { usernameClaim: 'email' } });
    const token = issue('tok-email', 'someone-else', { email: 'erin@example.com', sub: '248289761001' });
    const out = await byEmail(bearer(token));
    assert.deepEqual(out.decision, { kind: 'ok', server: '10.0.0.2', port: 143, user: 'erin-b' }, "the mailbox's backend login");
    const bySub = await decider({ rules: { usernameClaim: 'sub' } })(bearer(issue('tok-sub', 'alice@example.com', { sub: '248289761001' })));
    assert.deepEqual([bySub.reason, bySub.problem], ['token-unknown-mailbox', 'the token\'s sub "248289761001" names no mailbox']);
    const none = await decider({ rules: { usernameClaim: 'email' } })(bearer(issue('tok-no-email', 'alice@example.com')));
    assert.deepEqual([none.reason, none.decision], ['token-no-identity', INVALID]);
  });

  test('a backend with a master user gets the master login and password for IMAP/POP3, as for any method; SMTP never', async () => {
    const decide = decider();
    const token = issue('tok-bob', 'bob@example.com');
    assert.deepEqual((await decide(bearer(token))).decision, { kind: 'ok', server: '10.0.0.1', port: 143, user: 'Bob*postern', pass: MASTER });
    assert.deepEqual((await decide(bearer(token, 'bob', { protocol: 'pop3', method: 'xoauth2' }))).decision, { kind: 'ok', server: '10.0.0.1', port: 110, user: 'Bob*postern', pass: MASTER });
    assert.deepEqual((await decide(bearer(token, '', { protocol: 'smtp' }))).decision, { kind: 'ok', server: '10.0.0.1', port: 587, user: 'Bob' });
  });

  test('then the checks every login gets: a disabled mailbox, a protocol it may not use', async () => {
    const decide = decider();
    const carol = await decide(bearer(issue('tok-carol', 'carol@example.com')));
    assert.deepEqual([carol.reason, carol.decision], ['disabled', { ...INVALID, message: REFUSALS.disabled.imap, smtpCode: REFUSALS.disabled.smtpCode }]);
    const dave = await decide(bearer(issue('tok-dave', 'dave@example.com')));
    assert.equal(dave.reason, 'protocol-denied');
    assert.equal((await decide(bearer('tok-dave', '', { protocol: 'smtp' }))).decision.kind, 'ok');
  });

  test('required_scope must be one of the scope\'s space-separated tokens', async () => {
    const decide = decider({ rules: { requiredScope: 'mail' } });
    assert.equal((await decide(bearer(issue('tok-ok', 'alice@example.com', { scope: 'openid mail' })))).reason, 'ok');
    for (const [i, scope] of ['openid profile', 'mailbox email', '', undefined].entries()) {
      const out = await decide(bearer(issue(`tok-s${i}`, 'alice@example.com', { scope })));
      assert.deepEqual([out.reason, out.decision], ['token-scope-missing', INVALID], String(scope));
    }
  });
});

describe('a token the endpoint does not vouch for, or one for someone else', () => {
  test('inactive, expired, not yet valid or malformed: the wrong-password answer, with Auth-Wait', async () => {
    const decide = decider();
    answers.set('tok-revoked', { active: false });
    answers.set('tok-expired', { active: true, username: 'alice@example.com', exp: nowSeconds() - 1 });
    answers.set('tok-early', { active: true, username: 'alice@example.com', nbf: nowSeconds() + 60 });
    for (const token of ['tok-revoked', 'tok-expired', 'tok-early', 'not a b64token', '']) {
      const out = await decide(bearer(token, 'alice@example.com'));
      assert.deepEqual([out.reason, out.decision, out.mailbox], ['token-inactive', INVALID, 'alice@example.com'], token);
    }
    assert.deepEqual(asked, ['tok-revoked', 'tok-expired', 'tok-early'], 'a malformed token is not sent to the endpoint');
    assert.match((await decide(bearer('tok-expired'))).problem!, /^the token expired at 2030-/);
  });

  test('Auth-User naming another mailbox, or none: refused exactly as a bad token (no account oracle)', async () => {
    const decide = decider();
    const token = issue('tok-alice', 'alice@example.com');
    const bad = await decide(bearer('tok-unknown', 'alice@example.com'));
    const other = await decide(bearer(token, 'bob@example.com'));
    const nobody = await decide(bearer(token, 'nobody@example.com'));
    const nobodyBad = await decide(bearer('tok-unknown', 'nobody@example.com'));
    assert.deepEqual([other.reason, other.mailbox], ['token-user-mismatch', 'bob@example.com']);
    assert.deepEqual([nobody.reason, nobody.mailbox], ['token-user-mismatch', undefined]);
    assert.deepEqual([nobodyBad.reason, nobodyBad.mailbox], ['token-inactive', undefined]);
    for (const out of [other, nobody, nobodyBad]) assert.deepEqual(out.decision, bad.decision);
  });

  test('a token whose user has no mailbox is refused as invalid', async () => {
    const out = await decider()(bearer(issue('tok-zed', 'zed@example.com')));
    assert.deepEqual([out.reason, out.decision, out.problem], ['token-unknown-mailbox', INVALID, 'the token\'s username "zed@example.com" names no mailbox']);
  });

  test('the last attempt nginx allows gets no Auth-Wait, as for passwords', async () => {
    const out = await decider()(bearer('tok-unknown', '', { attempt: 10 }));
    const { wait: _, ...noWait } = INVALID;
    assert.deepEqual(out.decision, noWait);
  });
});

describe('no answer, no configuration', () => {
  test('the endpoint down, slow or broken: a temporary failure naming the endpoint, without Auth-Wait', async () => {
    down = true;
    const out = await decider()(bearer('tok-any', 'alice@example.com'));
    assert.deepEqual([out.reason, out.decision], ['oauth-unavailable', TEMP]);
    assert.equal(out.problem, 'introspection endpoint http://127.0.0.1:9/introspect: connect ECONNREFUSED 127.0.0.1:9');
  });

  test('without [oauth]: refused (not a temporary failure), and the endpoint is not asked', async () => {
    const out = await decider({ configured: false })(bearer(issue('tok-alice', 'alice@example.com')));
    assert.deepEqual([out.reason, out.decision], ['oauth-not-configured', INVALID]);
    assert.deepEqual(asked, []);
  });
});

describe('the introspection cache', () => {
  test('a remembered answer is not asked for again, until cache_seconds or the token\'s exp, whichever is first', async () => {
    const decide = decider({ cacheSeconds: 60 });
    issue('tok-a', 'alice@example.com');
    issue('tok-short', 'alice@example.com', { exp: nowSeconds() + 20 });
    const first = await decide(bearer('tok-a'));
    const again = await decide(bearer('tok-a', 'info@example.com', { protocol: 'smtp' }));
    assert.deepEqual([first.reason, first.cache, again.reason, again.cache], ['ok', undefined, 'ok', 'hit']);
    assert.deepEqual(asked, ['tok-a']);
    await decide(bearer('tok-short'));
    time.advance(21);
    answers.set('tok-short', { active: false });
    assert.equal((await decide(bearer('tok-short'))).reason, 'token-inactive', 'asked again once exp passed');
    time.advance(40);
    answers.set('tok-a', { active: false });
    assert.equal((await decide(bearer('tok-a'))).reason, 'token-inactive', 'asked again after cache_seconds');
    assert.deepEqual(asked, ['tok-a', 'tok-short', 'tok-short', 'tok-a']);
  });

  test('inactive answers are remembered briefly; failures never; the state of the mailbox is read fresh', async () => {
    const decide = decider({ cacheSeconds: 60 });
    await decide(bearer('tok-revoked'));
    assert.equal((await decide(bearer('tok-revoked'))).cache, 'hit');
    time.advance(31);
    await decide(bearer('tok-revoked'));
    assert.deepEqual(asked, ['tok-revoked', 'tok-revoked']);
    down = true;
    await decide(bearer('tok-x'));
    down = false;
    issue('tok-x', 'erin@example.com');
    assert.equal((await decide(bearer('tok-x'))).reason, 'ok', 'the failure was not remembered');
    await t.dir.changeMailbox('erin@example.com', { enabled: false });
    try {
      const out = await decide(bearer('tok-x'));
      assert.deepEqual([out.reason, out.cache], ['disabled', 'hit']);
    } finally {
      await t.dir.changeMailbox('erin@example.com', { enabled: true });
    }
  });

  test('cache_seconds = 0 asks every time', async () => {
    const decide = decider({ cacheSeconds: 0 });
    issue('tok-a', 'alice@example.com');
    await decide(bearer('tok-a'));
    await decide(bearer('tok-a'));
    assert.deepEqual(asked, ['tok-a', 'tok-a']);
  });

  test('the token appears in no outcome and no trace step', async () => {
    const decide = decider({ rules: { requiredScope: 'mail' } });
    const secret = 'tok-SECRET-0123456789';
    // ok, mismatch, mismatch with an unknown name, unknown mailbox, scope missing, inactive.
    const runs: Array<[string, string, string]> = [
      ['', 'bob', 'mail'],
      ['alice@example.com', 'bob', 'mail'],
      ['nobody', 'alice', 'mail'],
      ['alice', 'zed@example.com', 'mail'],
      ['', 'alice', 'openid'],
      ['alice', '', ''],
    ];
    for (const [user, claim, scope] of runs) {
      if (claim) issue(secret, claim, { scope });
      else answers.set(secret, { active: false });
      for (const cached of [false, true]) {
        const trace: string[] = [];
        const out = await decide(bearer(secret, user), trace);
        assert.ok(trace.length > 0);
        assert.ok(!JSON.stringify({ out, trace }).includes(secret), `${user}/${claim} cached=${cached}: ${JSON.stringify({ out, trace })}`);
      }
      time.advance(120);
    }
    down = true;
    const trace: string[] = [];
    const out = await decide(bearer(secret), trace);
    assert.ok(!JSON.stringify({ out, trace }).includes(secret));
  });
});

describe('the defence counts bad tokens like wrong passwords', () => {
  function defendedDecider(): Decider {
    const now = () => time.clock().getTime();
    const defence = createDefence(
      testDefenceSettings({ ipLimit: 100, subnetLimit: 100, unknownUsersLimit: 100, accountLimit: 3 }),
      { bans: t.dir, counters: createMemoryCounters({ maxKeys: 1000, maxMembers: 1000, now }), log: createLogger('silent') },
    );
    return defended(decider({ admitsAccount: (m, r) => defence.admitsAccount(m, r) }), defence, { log: createLogger('silent'), record: true });
  }

  test('Auth-Wait doubles with each distinct bad token; the same token again is one failure', async () => {
    const decide = defendedDecider();
    const waits: Array<number | undefined> = [];
    for (const token of ['tok-1', 'tok-2', 'tok-2', 'tok-3', 'tok-4']) {
      const d = (await decide(bearer(token, '', { clientIp: '198.51.100.7' }))).decision;
      waits.push(d.kind === 'fail' ? d.wait : undefined);
    }
    assert.deepEqual(waits, [2, 4, 4, 8, 15]);
  });

  test('distinct bad tokens naming a mailbox protect the account; an unknown name protects nothing; a good token still gets in', async () => {
    const decide = defendedDecider();
    try {
      for (const token of ['tok-a1', 'tok-a2', 'tok-a3']) await decide(bearer(token, 'erin@example.com', { clientIp: '198.51.100.8' }));
      for (const token of ['tok-n1', 'tok-n2', 'tok-n3']) await decide(bearer(token, 'nobody@example.com', { clientIp: '198.51.100.8' }));
      const bans = await t.dir.activeBans({ account: 'erin@example.com' });
      assert.equal(bans.length, 1);
      assert.equal(bans[0]!.reason, '3 different wrong passwords');
      assert.deepEqual(await t.dir.activeBans({ account: 'nobody@example.com' }), []);
      // The password login from a stranger's network is held back; the owner's valid token is not.
      const password = await decide({ ...bearer('erin-pw', 'erin@example.com', { clientIp: '198.51.100.9' }), method: 'plain' });
      assert.equal(password.reason, 'account-protected');
      const token = await decide(bearer(issue('tok-erin', 'erin@example.com'), 'erin@example.com', { clientIp: '198.51.100.9' }));
      assert.equal(token.reason, 'ok');
    } finally {
      await t.dir.liftBans('erin@example.com');
    }
  });
});
