/**
 * The REST API under /api/v1/, which the console's own script uses and scripts call with
 * `Authorization: Bearer <token>`. Bodies and answers are declared once as zod schemas: the
 * same schemas check requests and produce the OpenAPI document served at /api/openapi.json.
 * Errors are `{ "error": { "code", "message" } }` with a stable code.
 */
import { z } from 'zod';
import type { AdminSettings } from '../admin/index.js';
import { keysStatus } from '../app/vault-check.js';
import { linkTo } from '../http/index.js';
import type { Ctx, ConsoleDeps } from './context.js';
import { diagnosticsView } from './diagnostics.js';
import { sendJson } from './http-io.js';
import { FEATURES } from './features.js';
import { apiError, authErrors, json, problemResponse, ref, registry, type ApiRoute } from './kit.js';
import { listBansInForce, listOwnSessions, revokeOwnSession } from './service.js';
import { twoFactorApi, twoFactorPaths } from './two-factor-api.js';

const Session = z
  .object({
    id: z.string().describe('names the session for DELETE; not usable as a cookie'),
    current: z.boolean(),
    clientIp: z.string(),
    browser: z.string(),
    userAgent: z.string(),
    createdAt: z.string(),
    lastSeenAt: z.string(),
    expiresAt: z.string(),
  })
  .register(registry, { id: 'Session' });
const Me = z
  .object({ admin: z.object({ name: z.string() }), via: z.enum(['session', 'token']), session: Session.nullable(), csrfToken: z.string().nullable() })
  .register(registry, { id: 'Me' });
const Ban = z
  .object({
    id: z.number().int(),
    kind: z.enum(['ip', 'subnet', 'account']),
    subject: z.string().describe('an IP address, a CIDR network or a mailbox address'),
    reason: z.string(),
    createdAt: z.string(),
    expiresAt: z.string(),
  })
  .register(registry, { id: 'Ban' });
const Keys = z
  .object({
    vault: z.enum(['on', 'off']).describe('off: no keys are configured in vault.keys'),
    active: z.string().nullable(),
    keys: z.array(
      z.object({
        id: z.string(),
        state: z.enum(['active', 'decrypt-only', 'retired', 'missing']).describe('missing: stored data names the key id but vault.keys lacks it'),
        secrets: z.number().int().describe('stored secrets encrypted with this key'),
        canary: z.enum(['proven', 'no-canary', 'wrong-key', 'missing', 'retired']),
        retirable: z.boolean().describe('not active and no stored secret uses it'),
        verdict: z.string(),
      }),
    ),
    missing: z.array(z.object({ id: z.string(), secrets: z.number().int() })),
  })
  .describe('the report of `postern keys status`: ids, states and counts, never key material')
  .register(registry, { id: 'Keys' });
const Diagnostics = z.record(z.string(), z.unknown()).describe('what Postern resolved for this request (see the diagnostics page)').register(registry, { id: 'Diagnostics' });

const CORE_API: readonly ApiRoute[] = [
  {
    method: 'GET',
    path: /^\/api\/v1\/session$/,
    run: async (ctx, deps) => {
      const auth = ctx.auth!;
      const sessions = auth.kind === 'session' ? await listOwnSessions(deps.store, auth, ctx.now) : [];
      sendJson(ctx.res, 200, {
        admin: { name: auth.admin.name },
        via: auth.kind,
        session: sessions.find((s) => s.current) ?? null,
        csrfToken: auth.kind === 'session' ? auth.csrf : null,
      });
    },
  },
  { method: 'GET', path: /^\/api\/v1\/sessions$/, run: async (ctx, deps) => sendJson(ctx.res, 200, await listOwnSessions(deps.store, ctx.auth!, ctx.now)) },
  {
    method: 'DELETE',
    path: /^\/api\/v1\/sessions\/([^/]+)$/,
    run: async (ctx, deps, [id]) => {
      const r = await revokeOwnSession(deps.store, ctx.auth!, id ?? '', ctx.now);
      if (!r.revoked) return apiError(ctx, 404, 'session-not-found', `you have no live session ${JSON.stringify(id)} (see GET /api/v1/sessions)`);
      deps.log.info({ event: 'admin-session-revoked', admin: ctx.auth!.admin.name, session: id, client_ip: ctx.fwd.clientIp }, 'console session revoked');
      sendJson(ctx.res, 204, null);
    },
  },
  ...twoFactorApi,
  { method: 'GET', path: /^\/api\/v1\/bans$/, run: async (ctx, deps) => sendJson(ctx.res, 200, await listBansInForce(deps.store)) },
  {
    method: 'DELETE',
    path: /^\/api\/v1\/bans\/([^/]+)$/,
    run: async (ctx, deps, [subject]) => {
      const n = await deps.store.liftBans(subject ?? '');
      if (n === 0) return apiError(ctx, 404, 'ban-not-found', `no ban in force on ${JSON.stringify(subject)} (see GET /api/v1/bans)`);
      deps.log.info({ event: 'admin-ban-lifted', admin: ctx.auth!.admin.name, subject, lifted: n, via: ctx.auth!.kind, client_ip: ctx.fwd.clientIp }, 'ban lifted from the console');
      sendJson(ctx.res, 200, { lifted: n });
    },
  },
  { method: 'GET', path: /^\/api\/v1\/keys$/, run: async (ctx, deps) => sendJson(ctx.res, 200, await keysStatus(deps.keyring, deps.store)) },
  { method: 'GET', path: /^\/api\/v1\/diagnostics$/, run: async (ctx) => sendJson(ctx.res, 200, diagnosticsView(ctx)) },
];

export const API_ROUTES: readonly ApiRoute[] = [...CORE_API, ...FEATURES.flatMap((f) => f.api ?? [])];

/** Built once per console: it depends only on the settings. */
const documents = new WeakMap<AdminSettings, unknown>();

/** The OpenAPI 3.1 document, built from the same schemas the handlers use. */
export function openApiDocument(settings: AdminSettings): unknown {
  let doc = documents.get(settings);
  if (doc === undefined) documents.set(settings, (doc = buildDocument(settings)));
  return doc;
}

function buildDocument(settings: AdminSettings): unknown {
  const errors = authErrors;
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  const components: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(schemas)) {
    const { $schema: _drop, $id: _uri, id: _id, ...rest } = s as Record<string, unknown>;
    components[id] = rest;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Postern admin API', version: '1', description: 'The API the Postern console uses. Scripts authenticate with `Authorization: Bearer <token>` (`postern admin token create`); a token acts with the rights of its admin. Browser sessions must also send `X-CSRF-Token` on changes.' },
    servers: [{ url: linkTo(settings.publicUrl, '/api/v1') }],
    security: [{ bearer: [] }, { session: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token from `postern admin token create <admin> --label ...`' },
        session: { type: 'apiKey', in: 'cookie', name: settings.cookie.name },
      },
      schemas: components,
    },
    paths: {
      '/session': { get: { summary: 'Who am I', responses: { '200': { description: 'the signed-in admin', content: json(ref('Me')) }, ...errors } } },
      '/sessions': { get: { summary: 'My live console sessions', responses: { '200': { description: 'newest use first', content: json({ type: 'array', items: ref('Session') }) }, ...errors } } },
      '/sessions/{id}': {
        delete: {
          summary: 'Revoke one of my sessions',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '204': { description: 'revoked' }, '404': problemResponse('no such live session of mine'), ...errors },
        },
      },
      '/bans': { get: { summary: 'The bans in force', responses: { '200': { description: 'newest first', content: json({ type: 'array', items: ref('Ban') }) }, ...errors } } },
      '/bans/{subject}': {
        delete: {
          summary: 'Lift every ban in force on a subject (any kind)',
          parameters: [{ name: 'subject', in: 'path', required: true, schema: { type: 'string' }, description: 'an IP address, a CIDR network (its "/" as %2F) or a mailbox address, percent-encoded' }],
          responses: { '200': { description: 'how many bans were lifted', content: json({ type: 'object', properties: { lifted: { type: 'integer' } }, required: ['lifted'] }) }, '404': problemResponse('no ban in force on that subject'), ...errors },
        },
      },
      '/keys': { get: { summary: 'The vault keys, as `postern keys status` reports them', responses: { '200': { description: 'ids, states and counts; never key material', content: json(ref('Keys')) }, ...errors } } },
      ...twoFactorPaths,
      '/diagnostics': { get: { summary: 'What Postern resolved for this request', responses: { '200': { description: 'see the console diagnostics page', content: json(ref('Diagnostics')) }, ...errors } } },
      ...Object.assign({}, ...FEATURES.map((f) => f.paths ?? {})),
    },
  };
}
