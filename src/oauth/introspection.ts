/**
 * OAuth 2.0 token introspection (RFC 7662), the pure part: what Postern sends, what an answer
 * must look like, and what an answer means for a login. No sockets and no clock of its own:
 * http-introspector.ts does the exchange, cached-introspector.ts remembers answers.
 */
import { z } from 'zod';

/**
 * RFC 7662 §2.2: `active` is REQUIRED and a boolean; the members Postern reads are typed, the
 * rest kept (username_claim may name any of them, `email` or `sub` say). An answer that does
 * not fit is a broken endpoint (a temporary failure), not an inactive token.
 */
export const introspectionResponse = z.looseObject({
  active: z.boolean(),
  /** Space-separated scopes (RFC 6749 §3.3). */
  scope: z.string().optional(),
  /** Seconds since the epoch. */
  exp: z.number().optional(),
  nbf: z.number().optional(),
});

export type IntrospectionResponse = z.output<typeof introspectionResponse>;

/** What an introspection endpoint says about a token. Throws IntrospectionUnavailable when it says nothing usable. */
export interface Introspector {
  introspect(token: string): Promise<IntrospectionResponse>;
}

/**
 * The endpoint could not be asked or did not answer properly (down, time-out, not 200, not
 * JSON, not RFC 7662): the login fails closed, temporarily. The message is for the operator's
 * log: it names the endpoint and what went wrong, never the token or the client secret.
 */
export class IntrospectionUnavailable extends Error {
  override name = 'IntrospectionUnavailable';
}

/** RFC 7662 §2.1: the token and the hint, form-encoded. */
export function introspectionBody(token: string): string {
  return new URLSearchParams({ token, token_type_hint: 'access_token' }).toString();
}

/**
 * RFC 7662 §2.1 leaves client authentication to RFC 6749 §2.3.1: HTTP Basic, with the id and
 * the secret each form-encoded (Appendix B) before they are joined, so a `:` in either survives.
 */
export function basicAuthorization(clientId: string, clientSecret: Buffer): string {
  const form = (s: string): string => new URLSearchParams({ '': s }).toString().slice(1);
  return `Basic ${Buffer.from(`${form(clientId)}:${form(clientSecret.toString('utf8'))}`, 'utf8').toString('base64')}`;
}

export interface TokenRules {
  /** The member naming the mailbox (`username`, `email`, `sub`...). */
  usernameClaim: string;
  /** A scope the token must have; empty: any. */
  requiredScope: string;
}

export type TokenVerdict =
  | { ok: true; identity: string }
  | {
      ok: false;
      /** `inactive`, `expired` and `not-yet-valid` are a bad token; the others a token for something else. */
      why: 'inactive' | 'expired' | 'not-yet-valid' | 'scope-missing' | 'no-identity';
      /** For the log: never the token. */
      detail: string;
    };

/** Whether the answer lets the token's bearer log in, and as whom. `nowMs`: the clock, in ms. */
export function judgeToken(r: IntrospectionResponse, rules: TokenRules, nowMs: number): TokenVerdict {
  if (r.active !== true) return { ok: false, why: 'inactive', detail: 'the introspection endpoint says the token is not active' };
  // The endpoint should have said inactive itself (§2.2); an answer reused from the cache may be older.
  if (r.exp !== undefined && r.exp * 1000 <= nowMs) return { ok: false, why: 'expired', detail: `the token expired at ${isoSeconds(r.exp)}` };
  if (r.nbf !== undefined && r.nbf * 1000 > nowMs) return { ok: false, why: 'not-yet-valid', detail: `the token is not valid before ${isoSeconds(r.nbf)}` };
  if (rules.requiredScope !== '' && !(r.scope ?? '').split(' ').includes(rules.requiredScope)) {
    return { ok: false, why: 'scope-missing', detail: `the token's scope lacks "${rules.requiredScope}"` };
  }
  const identity = r[rules.usernameClaim];
  if (typeof identity !== 'string' || identity === '') {
    return { ok: false, why: 'no-identity', detail: `the introspection response has no "${rules.usernameClaim}" (oauth.username_claim) string` };
  }
  return { ok: true, identity };
}

function isoSeconds(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? String(seconds) : d.toISOString();
}
