/**
 * OAUTHBEARER and XOAUTH2 logins (Auth-Method `oauthbearer` / `xoauth2`, from Postern's own
 * mail proxy; src/sasl/oauthbearer.ts): Auth-Pass is a bearer token, which the authorization
 * server's introspection endpoint (RFC 7662, src/oauth) vouches for, and one of its members
 * (`[oauth] username_claim`) names the mailbox, looked up as a login is (case, default domain,
 * aliases). Auth-User, when the client named an authorization identity, must be that mailbox too.
 * Then the checks every login gets (admit: state, protocol, networks, route, backend login).
 *
 * Rules that differ from password logins:
 *   - The backend is never given the token by Postern: with a master user, backend-login.ts
 *     sends the master login as for any method; without one the OK carries Auth-User and no
 *     Auth-Pass, and the proxy passes the client's token on with the same mechanism.
 *   - No legacy route and no auth cache: the introspection answers are cached instead, keyed
 *     by an HMAC of the token (src/oauth/cached-introspector.ts).
 *   - Account protection (defence) does not hold back a token the endpoint calls active: no
 *     one guesses a token, and the owner is not locked out by someone else's wrong guesses.
 *     A bad token still counts against the client and, when Auth-User names a mailbox,
 *     against that account (distinct tokens, by keyed hash), like a wrong password.
 *   - Whatever Auth-User names is looked up before the token is judged, and an unknown name
 *     gets the answer a bad token gets: the refusal tells nothing about which accounts exist.
 *   - No introspection answer (endpoint down, slow, broken) is a temporary failure.
 */
import type { AuthRequest } from '../authhttp/types.js';
import type { DirectoryReader, LoginTarget, Mailbox } from '../directory/types.js';
import { IntrospectionUnavailable, judgeToken, type BearerSettings, type TokenVerdict } from '../oauth/index.js';
import { B64TOKEN } from '../sasl/index.js';
import type { Login } from './backend-login.js';
import type { Outcome, Trace } from './decide.js';
import type { Reason, RefusalKind } from './outcome.js';

export interface BearerContext {
  directory: DirectoryReader;
  /** undefined: no `[oauth]`, and bearer logins are refused. */
  bearer: BearerSettings | undefined;
  now: () => Date;
  loginAddress(raw: Buffer, t: Trace): string | null;
  refuse(kind: RefusalKind, reason: Reason, req: AuthRequest, extra?: Partial<Outcome>): Outcome;
  tempfail(reason: Reason, req: AuthRequest, extra?: Partial<Outcome>): Outcome;
  admit(req: AuthRequest, mailbox: Mailbox, t: Trace, login: Login): Promise<Outcome>;
}

const VERDICT_REASONS: Record<Exclude<TokenVerdict, { ok: true }>['why'], Reason> = {
  inactive: 'token-inactive',
  expired: 'token-inactive',
  'not-yet-valid': 'token-inactive',
  'scope-missing': 'token-scope-missing',
  'no-identity': 'token-no-identity',
};

export function createBearerLogin(ctx: BearerContext): (req: AuthRequest, t: Trace) => Promise<Outcome> {
  const { directory } = ctx;

  async function lookup(raw: Buffer, t: Trace): Promise<LoginTarget | null> {
    const address = ctx.loginAddress(raw, t);
    return address ? directory.findLogin(address) : null;
  }

  return async function bearerLogin(req, t) {
    const settings = ctx.bearer;
    if (!settings) {
      t?.push(`${req.method} needs [oauth] (a token introspection endpoint), which is not configured`);
      return ctx.refuse('invalid', 'oauth-not-configured', req);
    }
    // undefined: the client named no authorization identity; null: it named one that is no mailbox.
    const claimed = req.user.length > 0 ? await lookup(req.user, t) : undefined;
    const who = claimed ? { mailbox: claimed.mailbox.address } : {};
    if (claimed) t?.push(`Auth-User names mailbox ${claimed.mailbox.address}`);
    else if (claimed === null) t?.push('Auth-User names no mailbox');

    const token = req.pass.toString('utf8');
    if (!B64TOKEN.test(token)) {
      t?.push('the token is not an RFC 6750 b64token');
      return ctx.refuse('invalid', 'token-inactive', req, { ...who, problem: 'the token is not an RFC 6750 b64token' });
    }
    let answer;
    try {
      answer = await settings.introspection.introspect(token);
    } catch (err) {
      if (!(err instanceof IntrospectionUnavailable)) throw err;
      t?.push(`${err.message}: temporary failure`);
      return ctx.tempfail('oauth-unavailable', req, { ...who, problem: err.message });
    }
    const cache = answer.cached ? { cache: 'hit' as const } : {};
    t?.push(answer.cached ? 'introspection answer remembered from an earlier login' : 'introspection endpoint asked');
    const verdict = judgeToken(answer.response, settings.rules, ctx.now().getTime());
    if (!verdict.ok) {
      t?.push(verdict.detail);
      return ctx.refuse('invalid', VERDICT_REASONS[verdict.why], req, { ...who, ...cache, problem: verdict.detail });
    }
    const target = await lookup(Buffer.from(verdict.identity, 'utf8'), t);
    if (!target) {
      const problem = `the token's ${settings.rules.usernameClaim} "${verdict.identity}" names no mailbox`;
      t?.push(problem);
      return ctx.refuse('invalid', 'token-unknown-mailbox', req, { ...who, ...cache, problem });
    }
    const { mailbox } = target;
    t?.push(`the token's ${settings.rules.usernameClaim} names mailbox ${mailbox.address}`);
    if (claimed !== undefined && claimed?.mailbox.id !== mailbox.id) {
      const problem = `the token is for ${mailbox.address}, not for the mailbox Auth-User names`;
      t?.push(problem);
      return ctx.refuse('invalid', 'token-user-mismatch', req, { ...who, ...cache, problem });
    }
    // The backend knows the mailbox by its canonical address (or backend login, or master login):
    // always named, since Auth-User may be empty, an alias or differently spelt.
    const out = await ctx.admit(req, mailbox, t, { user: mailbox.address });
    return { ...out, ...cache };
  };
}
