/**
 * Bearer tokens checked by OAuth 2.0 token introspection (RFC 7662): the public surface, and
 * the wiring from `[oauth]` (src/config/oauth.ts) to the introspection the decision uses.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/load.js';
import { cachedIntrospector, type TokenIntrospection } from './cached-introspector.js';
import { createHttpIntrospector } from './http-introspector.js';
import type { TokenRules } from './introspection.js';

export { judgeToken, IntrospectionUnavailable, type IntrospectionResponse, type Introspector, type TokenRules, type TokenVerdict } from './introspection.js';
export { cachedIntrospector, NEGATIVE_SECONDS, type CachedIntrospection, type TokenIntrospection } from './cached-introspector.js';
export { createHttpIntrospector, type HttpIntrospectorSettings } from './http-introspector.js';

/** What the decision needs for bearer logins: the introspection and the rules an answer must meet. */
export interface BearerSettings {
  introspection: TokenIntrospection;
  rules: TokenRules;
}

/** From `[oauth]`, or undefined without it (bearer logins are then refused). Throws when ca_file cannot be read. */
export function bearerSettings(cfg: Config): BearerSettings | undefined {
  const o = cfg.oauth;
  if (!o || !cfg.oauthClientSecret) return undefined;
  let ca: Buffer | undefined;
  if (o.ca_file) {
    try {
      ca = readFileSync(o.ca_file);
    } catch (err) {
      throw new Error(`oauth.ca_file (${o.ca_file}): cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  const http = createHttpIntrospector({
    url: o.introspection_url,
    clientId: o.client_id,
    clientSecret: cfg.oauthClientSecret,
    timeoutMs: o.timeout_ms,
    ...(ca ? { ca } : {}),
  });
  return {
    introspection: cachedIntrospector(http, { cacheSeconds: o.cache_seconds }),
    rules: { usernameClaim: o.username_claim, requiredScope: o.required_scope },
  };
}
