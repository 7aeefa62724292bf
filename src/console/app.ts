/**
 * The console's request pipeline, one place for every rule: resolve the client through trusted
 * proxies (src/http), map the path (Postern's mount, then the public prefix, kept or stripped;
 * outside the cookie scope means a redirect into it), find the session or API token, check the
 * Origin and the CSRF token of every change made with a cookie, dispatch, and turn errors into
 * answers with stable codes. Plain node:http: the PROXY protocol needs the socket before any
 * HTTP parser, the forwarding walk needs the raw header lines, and there are a dozen routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkOrigin, headerPairs, mapRequestPath, resolveForwarded } from '../http/index.js';
import { equalSecrets } from '../crypto/compare.js';
import { keysStatus } from '../app/vault-check.js';
import { DirectoryError } from '../directory/types.js';
import { API_ROUTES, openApiDocument } from './api.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { doLogin, doLogout, resolveAuth, showLogin } from './auth.js';
import type { ConsoleDeps, Ctx } from './context.js';
import { diagnosticsView } from './diagnostics.js';
import { BodyError, baseHeaders, clearCookie, parseCookies, readForm, redirect, sendHtml, sendJson, sendText } from './http-io.js';
import type { ConnectionInfo } from './listener.js';
import { listBansInForce, listOwnSessions, revokeOwnSession } from './service.js';
import { changeTwoFactor, confirmEnrolment, showSecondFactor, showTwoFactor, startEnrolment, submitSecondFactor } from './two-factor.js';
import type { SessionStage } from '../admin/index.js';
import { bansPage, keysPage } from './views/bans-keys.js';
import { link } from './views/layout.js';
import { diagnosticsPage, sessionsPage } from './views/pages.js';
import { FEATURES } from './features.js';
import { apiError, directoryStatus, problem, who, type PageHandler, type PageRoute } from './kit.js';

const SAFE = new Set(['GET', 'HEAD']);

/**
 * The session stages a route serves (default: `full` only). This table is the one gate: a half
 * session (sessions.ts SessionStage) reaches only the routes that name its stage, and is sent to
 * its one page from anywhere else. The API serves full sessions and tokens only.
 */
const HALF: Record<Exclude<SessionStage, 'full'>, string> = { 'second-factor': '/login/2fa', enrol: '/2fa' };
const ANY_STAGE: readonly SessionStage[] = ['full', 'second-factor', 'enrol'];
const ENROL: readonly SessionStage[] = ['full', 'enrol'];

const CORE_PAGES: readonly PageRoute[] = [
  { method: 'GET', path: /^\/login\/2fa$/, stages: ['second-factor'], run: (ctx) => showSecondFactor(ctx) },
  { method: 'POST', path: /^\/login\/2fa$/, stages: ['second-factor'], run: (ctx, deps, _p, form) => submitSecondFactor(ctx, deps, form ?? new URLSearchParams()) },
  { method: 'GET', path: /^\/2fa$/, stages: ENROL, run: (ctx, deps) => showTwoFactor(ctx, deps) },
  { method: 'POST', path: /^\/2fa\/enrol$/, stages: ENROL, run: (ctx, deps) => startEnrolment(ctx, deps) },
  { method: 'POST', path: /^\/2fa\/confirm$/, stages: ENROL, run: (ctx, deps, _p, form) => confirmEnrolment(ctx, deps, form ?? new URLSearchParams()) },
  { method: 'POST', path: /^\/2fa\/recovery-codes$/, run: (ctx, deps, _p, form) => changeTwoFactor(ctx, deps, form ?? new URLSearchParams(), 'new-recovery-codes') },
  { method: 'POST', path: /^\/2fa\/disable$/, run: (ctx, deps, _p, form) => changeTwoFactor(ctx, deps, form ?? new URLSearchParams(), 'disable') },
  { method: 'GET', path: /^\/$/, run: async (ctx) => redirect(ctx.res, link(ctx.settings, '/dashboard')) },
  {
    method: 'GET',
    path: /^\/bans$/,
    run: async (ctx, deps) => {
      const lifted = ctx.query.get('lifted');
      const n = Number(ctx.query.get('n') ?? '1');
      const flash = lifted === null ? undefined : `Lifted ${n} ${n === 1 ? 'ban' : 'bans'} on ${lifted}.`;
      sendHtml(ctx.res, 200, bansPage(ctx.settings, who(ctx), await listBansInForce(deps.store), flash));
    },
  },
  {
    // The subject travels in the form, not the path: a CIDR's "/" would not survive every proxy.
    method: 'POST',
    path: /^\/bans\/lift$/,
    run: async (ctx, deps, _p, form) => {
      const subject = form?.get('subject') ?? '';
      const n = await deps.store.liftBans(subject);
      if (n === 0) return problem(ctx, 404, { code: 'ban-not-found', message: `no ban in force on ${JSON.stringify(subject)}`, fix: 'reload the bans page: it may have ended or been lifted already' });
      deps.log.info({ event: 'admin-ban-lifted', admin: ctx.auth!.admin.name, subject, lifted: n, via: 'form', client_ip: ctx.fwd.clientIp }, 'ban lifted from the console');
      redirect(ctx.res, link(ctx.settings, `/bans?lifted=${encodeURIComponent(subject)}&n=${n}`), { status: 303 });
    },
  },
  { method: 'GET', path: /^\/keys$/, run: async (ctx, deps) => sendHtml(ctx.res, 200, keysPage(ctx.settings, who(ctx), await keysStatus(deps.keyring, deps.store))) },
  {
    method: 'GET',
    path: /^\/sessions$/,
    run: async (ctx, deps) => {
      const sessions = await listOwnSessions(deps.store, ctx.auth!, ctx.now);
      const flash = ctx.query.get('revoked') === '1' ? 'The session was revoked.' : undefined;
      sendHtml(ctx.res, 200, sessionsPage(ctx.settings, who(ctx), sessions, flash));
    },
  },
  {
    method: 'POST',
    path: /^\/sessions\/([^/]+)\/revoke$/,
    run: async (ctx, deps, [id]) => {
      const r = await revokeOwnSession(deps.store, ctx.auth!, id ?? '', ctx.now);
      if (!r.revoked) return problem(ctx, 404, { code: 'session-not-found', message: 'you have no live session with that id', fix: 'reload the sessions page' });
      deps.log.info({ event: 'admin-session-revoked', admin: ctx.auth!.admin.name, session: id, client_ip: ctx.fwd.clientIp }, 'console session revoked');
      if (r.current) return redirect(ctx.res, link(ctx.settings, '/login?reason=revoked'), { status: 303, cookies: [clearCookie(ctx.settings.cookie)] });
      redirect(ctx.res, link(ctx.settings, '/sessions?revoked=1'), { status: 303 });
    },
  },
  { method: 'GET', path: /^\/diagnostics$/, run: async (ctx) => sendHtml(ctx.res, 200, diagnosticsPage(ctx.settings, who(ctx), diagnosticsView(ctx))) },
  { method: 'POST', path: /^\/logout$/, stages: ANY_STAGE, run: (ctx, deps) => doLogout(ctx, deps) },
];

const PAGES: readonly PageRoute[] = [...CORE_PAGES, ...FEATURES.flatMap((f) => f.pages ?? [])];

export function createConsoleApp(deps: ConsoleDeps): (req: IncomingMessage, res: ServerResponse, conn: ConnectionInfo) => void {
  const clock = deps.clock ?? (() => new Date());
  return (req, res, conn) => {
    const started = Date.now();
    const s = deps.settings;
    baseHeaders(res, s.publicUrl.scheme === 'https', s.publicUrl.origin);
    const headers = headerPairs(req.rawHeaders);
    const fwd = resolveForwarded({ peer: conn.peer, tls: false, headers }, s.forwarding);
    const target = req.url ?? '/';
    const ctxBase = { req, res, conn, settings: s, method: (req.method ?? 'GET').toUpperCase(), target, headers, fwd, cookies: parseCookies(req.headers.cookie), now: clock(), auth: null };
    res.on('finish', () =>
      deps.log.debug({ event: 'admin-request', method: ctxBase.method, path: target.split('?')[0], status: res.statusCode, peer: conn.peer, client_ip: fwd.clientIp, ms: Date.now() - started }, 'console request'),
    );
    route(ctxBase, deps).catch((err: unknown) => {
      deps.log.error({ event: 'admin-error', err: { message: (err as Error).message, stack: (err as Error).stack } }, 'console request failed');
      if (!res.headersSent) sendText(res, 500, 'text/plain; charset=utf-8', 'internal-error: Postern could not answer this request (see its log)\n');
      else res.destroy();
    });
  };
}

async function route(base: Omit<Ctx, 'appPath' | 'query' | 'via' | 'mountedTarget'>, deps: ConsoleDeps): Promise<void> {
  const s = deps.settings;
  const { res } = base;
  const mounted = stripMount(s.mountPath, base.target);
  if (mounted === null) {
    return sendText(res, 404, 'text/plain; charset=utf-8', `outside-mount: the console is mounted at ${s.mountPath} (admin.path) on this listener; open ${s.publicUrl.href}\n`);
  }
  const mapping = mapRequestPath(s.publicUrl, mounted, { mode: s.prefixMode, forwardedPrefix: base.fwd.prefix });
  if (mapping.kind === 'bad-target') return sendText(res, 400, 'text/plain; charset=utf-8', `bad-target: ${mapping.detail}\n`);
  if (mapping.kind === 'redirect') return redirect(res, mapping.location);
  const ctx: Ctx = { ...base, mountedTarget: mounted, appPath: mapping.path, query: new URLSearchParams(mapping.query), via: mapping.via };
  try {
    await dispatch(ctx, deps);
  } catch (err) {
    const api = ctx.appPath.startsWith('/api/');
    if (err instanceof DirectoryError) return api ? apiError(ctx, directoryStatus(err), err.code, err.message) : problem(ctx, directoryStatus(err), { code: err.code, message: err.message });
    if (err instanceof BodyError) return api ? apiError(ctx, err.status, err.code, err.message) : problem(ctx, err.status, { code: err.code, message: err.message });
    throw err;
  }
}

async function dispatch(ctx: Ctx, deps: ConsoleDeps): Promise<void> {
  const { appPath: path, method } = ctx;
  if (method === 'GET' && path === '/assets/console.css') return sendText(ctx.res, 200, 'text/css; charset=utf-8', CONSOLE_CSS);
  if (method === 'GET' && path === '/assets/console.js') return sendText(ctx.res, 200, 'text/javascript; charset=utf-8', CONSOLE_JS);
  if (method === 'GET' && path === '/api/openapi.json') return sendJson(ctx.res, 200, openApiDocument(ctx.settings));
  if (path === '/login') {
    if (method === 'GET') return showLogin(ctx, deps);
    if (method === 'POST') return doLogin(ctx, deps);
  }
  const api = path.startsWith('/api/');
  const table = api ? API_ROUTES : PAGES;
  const candidates = table.filter((r) => r.path.test(path));
  const hit = candidates.find((r) => r.method === method);
  if (!hit) {
    if (candidates.length > 0) {
      ctx.res.setHeader('Allow', candidates.map((r) => r.method).join(', '));
      return api ? apiError(ctx, 405, 'method-not-allowed', `${method} is not allowed on ${path}`) : problem(ctx, 405, { code: 'method-not-allowed', message: `${method} is not allowed here` });
    }
    return api ? apiError(ctx, 404, 'not-found', `no API route ${method} ${path} (see /api/openapi.json)`) : problem(ctx, 404, { code: 'not-found', message: `there is no console page at ${path}` });
  }
  const params = (hit.path.exec(path) as RegExpExecArray).slice(1).map((p) => safeDecode(p));
  if (params.some((p) => p === null)) return api ? apiError(ctx, 400, 'bad-path', 'a path segment is not valid percent-encoding') : problem(ctx, 400, { code: 'bad-path', message: 'a path segment is not valid percent-encoding' });

  // A change made with a cookie must come from a page of the console itself: the Origin check
  // first (so a cross-site post is named as such even when the browser sent the cookie).
  const unsafe = !SAFE.has(method);
  const bearer = api && ctx.req.headers.authorization !== undefined;
  if (unsafe && !bearer) {
    const origin = checkOrigin(ctx.settings.publicUrl, method, ctx.headers);
    if (!origin.ok) {
      deps.log.info({ event: 'admin-refused', reason: origin.error.code, method, path, client_ip: ctx.fwd.clientIp }, origin.error.detail);
      return api ? apiError(ctx, 403, origin.error.code, `${origin.error.detail}; ${origin.error.fix}`) : problem(ctx, 403, { code: origin.error.code, message: origin.error.detail, fix: origin.error.fix });
    }
  }
  const found = await resolveAuth(ctx, deps, api);
  if (!found.auth) {
    if (api) return apiError(ctx, 401, found.refused?.reason ?? 'unauthenticated', found.refused?.detail ?? 'sign in to the console, or send Authorization: Bearer <token> (postern admin token create)');
    const reason = found.refused ? found.refused.reason : 'sign-in';
    const next = method === 'GET' ? `&next=${encodeURIComponent(path + (ctx.query.size > 0 ? `?${ctx.query}` : ''))}` : '';
    return redirect(ctx.res, link(ctx.settings, `/login?reason=${reason}${next}`), found.refused ? { cookies: [clearCookie(ctx.settings.cookie)] } : {});
  }
  ctx.auth = found.auth;
  const stage: SessionStage = found.auth.kind === 'session' ? found.auth.session.stage : 'full';
  const stages = (hit as PageRoute).stages ?? ['full'];
  if (!stages.includes(stage)) {
    if (stage === 'full') return redirect(ctx.res, link(ctx.settings, '/dashboard'));
    if (api) return apiError(ctx, 401, 'second-factor-required', 'this session has not passed the second factor: finish signing in in the console first');
    return redirect(ctx.res, link(ctx.settings, HALF[stage]), unsafe ? { status: 303 } : {});
  }
  let form: URLSearchParams | null = null;
  if (unsafe && found.auth.kind === 'session') {
    if (!api) form = await readForm(ctx.req);
    const sent = api ? ctx.req.headers['x-csrf-token'] : form?.get('csrf');
    if (typeof sent !== 'string' || !equalSecrets(sent, found.auth.csrf)) {
      deps.log.info({ event: 'admin-refused', reason: 'csrf-token-mismatch', method, path, client_ip: ctx.fwd.clientIp }, 'missing or wrong CSRF token');
      const p = { code: 'csrf-token-mismatch', message: 'the request did not carry this session\'s CSRF token', fix: 'reload the page and try again' };
      return api ? apiError(ctx, 403, p.code, `${p.message}: send the X-CSRF-Token header (GET /api/v1/session gives it)`) : problem(ctx, 403, p);
    }
  }
  if (api) return (hit.run as (c: Ctx, d: ConsoleDeps, p: string[]) => Promise<void>)(ctx, deps, params as string[]);
  return (hit.run as PageHandler)(ctx, deps, params as string[], form);
}

/** The target after Postern's own mount path, or null when it is outside the mount. */
export function stripMount(mount: string, target: string): string | null {
  if (mount === '/') return target;
  if (target.startsWith(mount)) return `/${target.slice(mount.length)}`;
  const bare = mount.slice(0, -1);
  if (target === bare || target.startsWith(`${bare}?`)) return `/${target.slice(bare.length)}`;
  return null;
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
