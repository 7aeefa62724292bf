/**
 * Routes in the console and the API (issue 5, item 5): which backend logins go to. The
 * operations are the store's setRoute/removeRoute (the same validation as `postern route ...`:
 * the kind, the subject a kind needs or forbids, an existing mailbox, domain and backend), one
 * function each that the page and the API both call and that writes the audit line.
 *
 * API addresses: a route is named by its kind and, when it has one, its subject, each a path
 * segment: /routes/default, /routes/unknown (all domains), /routes/unknown/{domain},
 * /routes/domain/{domain}, /routes/mailbox/{address}. Domain names and addresses never hold a
 * "/", and "@" is allowed in a path segment (RFC 3986 pchar), so it may be sent as is or as %40.
 */
import { z } from 'zod';
import { DirectoryError, type Route, type RouteKind } from '../directory/types.js';
import { describeRoute } from '../store/rows.js';
import { parseAddress, parseDomainName } from '../store/validate.js';
import { actorOf, audit, type Actor } from './actor.js';
import type { ConsoleDeps, Ctx } from './context.js';
import { formProblem } from './form-errors.js';
import { readJson, redirect, sendHtml, sendJson } from './http-io.js';
import { authErrors, json, parseBody, problemResponse, ref, registry, who, type ConsoleFeature } from './kit.js';
import { link } from './views/layout.js';
import type { PageProblem } from './views/parts.js';
import { removeRoutePage, routesPage, type RoutesForm } from './views/routes.js';

export interface RouteView {
  kind: RouteKind;
  subject: string | null;
  backend: string;
  /** `mailbox alice@example.com`, `default`, `unknown users of example.com` (the store's wording). */
  description: string;
}

/** In the order routeFor and unknownRoute (src/store/reader.ts) consult them. */
export const ROUTE_KINDS = ['mailbox', 'domain', 'default', 'unknown'] as const satisfies readonly RouteKind[];

z.object({
  kind: z.enum(ROUTE_KINDS),
  subject: z.string().nullable().describe('the mailbox address or domain name; null for the default route and for unknown users of all domains'),
  backend: z.string().describe('the backend name'),
  description: z.string().describe('the route in words, e.g. "mailbox alice@example.com" or "unknown users (all domains)"'),
}).register(registry, { id: 'Route' });
const RouteTarget = z.object({ backend: z.string().describe('an existing backend, e.g. imap1') }).strict().register(registry, { id: 'RouteTarget' });

const view = (r: Pick<Route, 'kind' | 'subject' | 'backendName'>): RouteView => ({ kind: r.kind, subject: r.subject, backend: r.backendName, description: describeRoute(r.kind, r.subject) });

const ORDER = new Map<string, number>(ROUTE_KINDS.map((k, i) => [k, i]));

/** Every route, most specific first; per kind by subject, the all-domains unknown route last. */
export async function listRouteViews(deps: ConsoleDeps): Promise<RouteView[]> {
  const rank = (r: Route) => `${ORDER.get(r.kind) ?? 9}${r.subject === null ? '\uffff' : r.subject}`;
  return (await deps.store.listRoutes()).sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0)).map(view);
}

/** The subject as the store keeps it; only called after the store accepted it. */
function storedSubject(kind: RouteKind, subject: string | null): string | null {
  const given = subject?.trim() ?? '';
  if (given === '') return null;
  return kind === 'mailbox' ? parseAddress(given).address : parseDomainName(given);
}

/** Creates or repoints the route for (kind, subject); the store checks the kind, the subject and the backend. */
export async function setRoute(deps: ConsoleDeps, by: Actor, kind: string, subject: string | null, backend: string): Promise<RouteView> {
  const r = view(await deps.store.setRoute(kind as RouteKind, subject, backend));
  audit(deps, by, 'admin-route-set', { kind: r.kind, subject: r.subject, backend: r.backend }, `route set: ${r.description} -> ${r.backend}`);
  return r;
}

export async function removeRoute(deps: ConsoleDeps, by: Actor, kind: string, subject: string | null): Promise<{ kind: RouteKind; subject: string | null; description: string }> {
  await deps.store.removeRoute(kind as RouteKind, subject);
  const k = kind as RouteKind;
  const s = storedSubject(k, subject);
  audit(deps, by, 'admin-route-removed', { kind: k, subject: s }, `route removed: ${describeRoute(k, s)}`);
  return { kind: k, subject: s, description: describeRoute(k, s) };
}

/**
 * The route (kind, subject) and the route its logins reach once it is removed (null: none, they
 * fail temporarily or, for unknown users, are refused), for the confirmation page. Refused with
 * `invalid` for a kind or subject that cannot be, `not-found` when there is no such route.
 */
export async function routeToRemove(deps: ConsoleDeps, kind: string, subject: string | null): Promise<{ route: RouteView; fallback: RouteView | null }> {
  if (!(ROUTE_KINDS as readonly string[]).includes(kind)) throw new DirectoryError('invalid', `"${kind}" is not a route kind: mailbox, domain, default or unknown`);
  const k = kind as RouteKind;
  const wanted = storedSubject(k, subject);
  const routes = await listRouteViews(deps);
  const find = (kk: RouteKind, ss: string | null) => routes.find((r) => r.kind === kk && r.subject === ss) ?? null;
  const route = find(k, wanted);
  if (!route) throw new DirectoryError('not-found', `there is no ${describeRoute(k, wanted)} route (it may have been removed already)`);
  // The same order as the auth path (src/store/reader.ts): mailbox, its domain, the default; unknown users of a domain, then of all.
  const fallback =
    k === 'mailbox' ? (find('domain', (wanted ?? '').slice((wanted ?? '').lastIndexOf('@') + 1)) ?? find('default', null))
    : k === 'domain' ? find('default', null)
    : k === 'unknown' && wanted !== null ? find('unknown', null)
    : null;
  return { route, fallback };
}

// ---- pages ----

function flash(q: URLSearchParams): string | undefined {
  const subject = q.get('subject') || null;
  const set = q.get('set');
  if (set !== null) return `Route set: ${describeRoute(set, subject)} goes to ${q.get('backend') ?? 'its backend'}.`;
  const removed = q.get('removed');
  return removed === null ? undefined : `Removed the route of ${describeRoute(removed, subject)}.`;
}

async function render(ctx: Ctx, deps: ConsoleDeps, status: number, extra: { problem?: PageProblem; form?: RoutesForm } = {}): Promise<void> {
  const [routes, backends] = await Promise.all([listRouteViews(deps), deps.store.listBackends()]);
  const f = status === 200 ? flash(ctx.query) : undefined;
  const bs = backends.map((b) => ({ name: b.name, host: b.host }));
  sendHtml(ctx.res, status, routesPage(ctx.settings, who(ctx), routes, bs, { ...extra, ...(f ? { flash: f } : {}) }));
}

const back = (ctx: Ctx, query: Record<string, string>) => redirect(ctx.res, link(ctx.settings, `/routes?${new URLSearchParams(query)}`), { status: 303 });
const subjectOf = (form: URLSearchParams | null): string | null => form?.get('subject')?.trim() || null;

export const routesFeature: ConsoleFeature = {
  pages: [
    { method: 'GET', path: /^\/routes$/, run: (ctx, deps) => render(ctx, deps, 200) },
    {
      method: 'POST',
      path: /^\/routes$/,
      run: async (ctx, deps, _p, form) => {
        const typed = { kind: form?.get('kind') ?? '', subject: form?.get('subject') ?? '', backend: form?.get('backend') ?? '' };
        try {
          const r = await setRoute(deps, actorOf(ctx, 'page'), typed.kind, subjectOf(form), typed.backend);
          back(ctx, { set: r.kind, subject: r.subject ?? '', backend: r.backend });
        } catch (err) {
          const { status, problem } = formProblem(err);
          await render(ctx, deps, status, { problem, form: typed });
        }
      },
    },
    {
      // The confirmation before removing: what the route's logins reach afterwards. Kind and
      // subject travel in the query and the form: the default route has no subject to put in a path.
      method: 'GET',
      path: /^\/routes\/remove$/,
      run: async (ctx, deps) => {
        const { route, fallback } = await routeToRemove(deps, ctx.query.get('kind') ?? '', ctx.query.get('subject')?.trim() || null);
        sendHtml(ctx.res, 200, removeRoutePage(ctx.settings, who(ctx), route, fallback));
      },
    },
    {
      method: 'POST',
      path: /^\/routes\/remove$/,
      run: async (ctx, deps, _p, form) => {
        try {
          const r = await removeRoute(deps, actorOf(ctx, 'page'), form?.get('kind') ?? '', subjectOf(form));
          back(ctx, { removed: r.kind, subject: r.subject ?? '' });
        } catch (err) {
          const { status, problem } = formProblem(err);
          await render(ctx, deps, status, { problem });
        }
      },
    },
  ],
  api: [
    { method: 'GET', path: /^\/api\/v1\/routes$/, run: async (ctx, deps) => sendJson(ctx.res, 200, await listRouteViews(deps)) },
    ...(['PUT', 'DELETE'] as const).flatMap((method) =>
      [/^\/api\/v1\/routes\/([^/]+)$/, /^\/api\/v1\/routes\/([^/]+)\/([^/]+)$/].map((path) => ({
        method,
        path,
        run: async (ctx: Ctx, deps: ConsoleDeps, [kind, subject]: string[]) => {
          if (method === 'DELETE') {
            await removeRoute(deps, actorOf(ctx, 'api'), kind ?? '', subject ?? null);
            return sendJson(ctx.res, 204, null);
          }
          const body = parseBody(ctx, RouteTarget, await readJson(ctx.req), '{"backend": "<backend name>"}');
          if (body !== null) sendJson(ctx.res, 200, await setRoute(deps, actorOf(ctx, 'api'), kind ?? '', subject ?? null, body.backend));
        },
      })),
    ),
  ],
  paths: routePaths(),
};

function routePaths(): Record<string, unknown> {
  const problem = problemResponse;
  const kindParam = (kinds: readonly RouteKind[], description: string) => ({ name: 'kind', in: 'path', required: true, schema: { type: 'string', enum: kinds }, description });
  const subject = { name: 'subject', in: 'path', required: true, schema: { type: 'string' }, description: 'the mailbox address (kind mailbox) or the domain name (kinds domain and unknown); "@" as is or as %40' };
  const put = (summary: string, parameters: unknown[]) => ({
    summary,
    parameters,
    requestBody: { required: true, content: json(ref('RouteTarget')) },
    responses: {
      '200': { description: 'the route, created or repointed', content: json(ref('Route')) },
      '400': problem('invalid body, kind or subject, or a domain alias given for a domain (`invalid-body`, `invalid`)'),
      '404': problem('no such backend, mailbox or domain (`not-found`)'),
      ...authErrors,
    },
  });
  const del = (summary: string, parameters: unknown[]) => ({
    summary,
    parameters,
    responses: { '204': { description: 'removed' }, '400': problem('invalid kind or subject (`invalid`)'), '404': problem('no such route (`not-found`)'), ...authErrors },
  });
  const whole = kindParam(['default', 'unknown'], '`default` (every mailbox without a mailbox or domain route) or `unknown` (users the directory does not know, all domains)');
  const per = kindParam(['mailbox', 'domain', 'unknown'], '`mailbox`, `domain`, or `unknown` (unknown users of one domain)');
  return {
    '/routes': {
      get: {
        summary: 'List routes, most specific first',
        description: 'A login goes to its mailbox\'s route, else its domain\'s, else the default route; with none it gets a temporary failure. Users the directory does not know go to the unknown route of their domain (or of the domain it aliases), else the all-domains one; with none they are refused.',
        responses: { '200': { description: 'mailbox, domain, default, then unknown routes', content: json({ type: 'array', items: ref('Route') }) }, ...authErrors },
      },
    },
    '/routes/{kind}': {
      put: put('Set the default route, or the unknown-user route of all domains', [whole]),
      delete: del('Remove the default route, or the unknown-user route of all domains', [whole]),
    },
    '/routes/{kind}/{subject}': {
      put: put('Set the route of a mailbox or a domain, or the unknown-user route of a domain', [per, subject]),
      delete: del('Remove the route of a mailbox or a domain, or the unknown-user route of a domain', [per, subject]),
    },
  };
}
