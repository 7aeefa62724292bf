/**
 * `[oauth]`: how Postern's auth endpoint checks the bearer tokens of OAUTHBEARER and XOAUTH2
 * logins (Auth-Method `oauthbearer` / `xoauth2`, sent by Postern's own mail proxy) with an
 * OAuth 2.0 token introspection endpoint (RFC 7662). Without the section those logins are
 * refused (`oauth-not-configured`). The client secret is never written in this file: it comes
 * from `client_secret_file` or POSTERN_OAUTH_CLIENT_SECRET, as the shared secret does (load.ts).
 */
import { z } from 'zod';

export const OAUTH_SECRET_ENV = 'POSTERN_OAUTH_CLIENT_SECRET';

/** An absolute http(s) URL without user:password (it would be logged with every failure). */
function introspectionUrlProblem(v: string): string | undefined {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return 'not a URL (e.g. https://id.example.com/oauth2/introspect)';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `must be http:// or https://, not ${u.protocol}`;
  if (u.username || u.password) return 'must not carry user:password: set client_id and client_secret_file instead';
  if (u.hash) return 'must not have a #fragment';
  return undefined;
}

export const oauthSchema = z
  .object({
    /** The RFC 7662 endpoint Postern POSTs each token to. */
    introspection_url: z.string().superRefine((v, ctx) => {
      const problem = introspectionUrlProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    /** Postern's client at the authorization server (HTTP Basic, RFC 7662 §2.1). */
    client_id: z.string().min(1).refine((v) => !/[\x00-\x1f\x7f]/.test(v), { message: 'must not contain control characters' }),
    /** File holding the client secret (first line); relative to the config file. POSTERN_OAUTH_CLIENT_SECRET overrides it. */
    client_secret_file: z.string().min(1).optional(),
    /** Accepted only to say where the secret goes instead. */
    client_secret: z
      .unknown()
      .optional()
      .superRefine((v, ctx) => {
        if (v !== undefined) ctx.addIssue({ code: 'custom', message: `secrets are not kept in the config file: put it in a file named by client_secret_file (mode 0600), or in ${OAUTH_SECRET_ENV}` });
      }),
    /** The introspection response's member naming the mailbox (an address or alias, as a login). */
    username_claim: z.string().min(1).default('username'),
    /** A scope the token's `scope` must contain (RFC 7662 §2.2: space-separated); empty: any. */
    required_scope: z
      .string()
      .refine((v) => !/[\s"\\]/.test(v), { message: 'one scope token, without spaces, quotes or backslashes (RFC 6749 §3.3)' })
      .default(''),
    /** An introspection not answered within this time is a temporary failure; keep it below auth.decision_timeout_ms. */
    timeout_ms: z.number().int().min(100).max(60000).default(2000),
    /** How long an answer about a token is reused (never past the token's `exp`); 0 asks every time. */
    cache_seconds: z.number().int().min(0).max(3600).default(60),
    /** PEM file of the CA(s) that sign the endpoint's certificate (a private CA); replaces the system roots. */
    ca_file: z.string().min(1).optional(),
  })
  .strict()
  .optional();

export type OauthSection = NonNullable<z.output<typeof oauthSchema>>;
