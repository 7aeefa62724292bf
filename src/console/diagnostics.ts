/**
 * What Postern resolved for one request, for the diagnostics page and GET /api/v1/diagnostics
 * (anchors-admin-secrets.md §4.1.8): the public URL and mount, the scheme, host and prefix and
 * where each came from, the client IP and every hop with why it was or was not trusted, the
 * cookie Postern expects and whether it came back, and the findings with their stable codes.
 */
import { checkOrigin, cookieAttributes, diagnose, type Finding, type Hop } from '../http/index.js';
import type { Ctx } from './context.js';

export interface DiagnosticsView {
  publicUrl: string;
  publicUrlConfigured: boolean;
  mountPath: string;
  request: { method: string; target: string; appPath: string; pathMapping: string };
  resolved: {
    scheme: string;
    schemeFrom: string;
    host: string | null;
    hostFrom: string;
    prefix: string | null;
    prefixFrom: string;
    clientIp: string | null;
  };
  hops: Hop[];
  trustedPeer: boolean;
  ignoredHeaders: string[];
  trustedProxies: string[];
  clientIpHeader: string;
  maxProxyHops: number | null;
  proxyProtocol: { enabled: boolean; source: string | null; socketPeer: string | null };
  cookie: { name: string; attributes: string; returned: boolean };
  session: { binding: string; idleMinutes: number; maxHours: number };
  findings: Finding[];
}

/** Findings for this request; `cookie` says whether to judge the session cookie, `origin` whether to judge this request's Origin. */
export function findingsFor(ctx: Ctx, opts: { cookieName?: string; origin?: boolean } = {}): Finding[] {
  const s = ctx.settings;
  return diagnose({
    publicUrl: s.publicUrl,
    forwarding: ctx.fwd,
    trusted: s.trusted,
    ...(opts.cookieName !== undefined ? { cookie: { name: opts.cookieName, returned: ctx.cookies.has(opts.cookieName) } } : {}),
    request: { target: ctx.mountedTarget, mode: s.prefixMode },
    ...(opts.origin ? { origin: checkOrigin(s.publicUrl, ctx.method, ctx.headers) } : {}),
  });
}

export function diagnosticsView(ctx: Ctx): DiagnosticsView {
  const s = ctx.settings;
  const f = ctx.fwd;
  return {
    publicUrl: s.publicUrl.href,
    publicUrlConfigured: s.publicUrlConfigured,
    mountPath: s.mountPath,
    request: { method: ctx.method, target: ctx.target, appPath: ctx.appPath, pathMapping: ctx.via },
    resolved: {
      scheme: f.proto,
      schemeFrom: f.from.proto,
      host: f.host,
      hostFrom: f.from.host,
      prefix: f.prefix,
      prefixFrom: f.from.prefix,
      clientIp: f.clientIp,
    },
    hops: f.hops,
    trustedPeer: f.trustedPeer,
    ignoredHeaders: f.ignoredHeaders,
    trustedProxies: s.trusted.entries.map((e) => e.label),
    clientIpHeader: s.forwarding.header,
    maxProxyHops: s.forwarding.maxHops ?? null,
    proxyProtocol: { enabled: s.proxyProtocol, source: ctx.conn.proxyProtocolSource, socketPeer: ctx.conn.socketPeer ?? null },
    cookie: { name: s.cookie.name, attributes: cookieAttributes(s.cookie), returned: ctx.cookies.has(s.cookie.name) },
    session: { binding: s.session.binding, idleMinutes: s.session.idleMs / 60_000, maxHours: s.session.maxMs / 3_600_000 },
    findings: findingsFor(ctx, { cookieName: s.cookie.name }),
  };
}
