/**
 * The signed-in admin's API tokens in the console and the API (issue 5, item 7): list, create,
 * revoke, only one's own. A token is made as `postern admin token create` makes it (newApiToken:
 * only its SHA-256 is stored) and its value exists in exactly one answer, the one to the request
 * that created it; the audit line names the token by id and label, never by value.
 *
 * A request authenticated with a token cannot create tokens: a leaked token must not be able to
 * mint a successor that outlives its revocation. It can list and revoke (which only takes power
 * away). Tokens are created in the console or with the CLI.
 */
import { z } from 'zod';
import { newApiToken, type ApiToken } from '../admin/index.js';
import { actorOf, audit, type Actor } from './actor.js';
import type { ConsoleDeps, Ctx } from './context.js';
import { formProblem } from './form-errors.js';
import { readJson, redirect, sendHtml, sendJson } from './http-io.js';
import { apiError, authErrors, json, parseBody, problemResponse, ref, registry, who, type ConsoleFeature } from './kit.js';
import { link } from './views/layout.js';
import type { PageProblem } from './views/parts.js';
import { newTokenPage, tokensPage } from './views/tokens.js';

export interface TokenView {
  id: number;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
  state: 'active' | 'revoked';
}

const TokenFields = {
  id: z.number().int().describe('names the token for DELETE; not the token'),
  label: z.string().describe('what uses the token'),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable().describe('updated at most once a minute'),
  state: z.enum(['active', 'revoked']),
};
z.object(TokenFields).describe('an API token of the signed-in admin, never its value').register(registry, { id: 'ApiToken' });
z.object({ ...TokenFields, token: z.string().describe('the token itself (postern_...): in this answer only, Postern keeps just its hash') }).register(registry, { id: 'CreatedApiToken' });
const NewToken = z.object({ label: z.string().describe('1-64 printable characters saying what uses it, e.g. "backup script"') }).strict().register(registry, { id: 'NewApiToken' });

const view = (t: ApiToken): TokenView => ({ id: t.id, label: t.label, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt, state: t.revoked ? 'revoked' : 'active' });

/** The admin's own tokens, oldest first. */
export async function listOwnTokens(deps: ConsoleDeps, by: Actor): Promise<TokenView[]> {
  return (await deps.store.listApiTokens(by.admin)).filter((t) => t.adminId === by.adminId).map(view);
}

/** A new token for the admin; `token` is its value, to be shown once and then forgotten. */
export async function createOwnToken(deps: ConsoleDeps, by: Actor, label: string): Promise<TokenView & { token: string }> {
  const { token, tokenHash } = newApiToken();
  const t = view(await deps.store.createApiToken(by.admin, label, tokenHash));
  audit(deps, by, 'admin-token-created', { token_id: t.id, label: t.label }, 'API token created');
  return { ...t, token };
}

/** Revokes one of the admin's own tokens (again is fine); null when they have none with that id. */
export async function revokeOwnToken(deps: ConsoleDeps, by: Actor, idText: string): Promise<TokenView | null> {
  if (!/^[1-9][0-9]{0,15}$/.test(idText)) return null;
  const own = (await listOwnTokens(deps, by)).find((t) => t.id === Number(idText));
  if (!own) return null;
  if (own.state === 'revoked') return own;
  const t = view(await deps.store.revokeApiToken(own.id));
  audit(deps, by, 'admin-token-revoked', { token_id: t.id, label: t.label }, 'API token revoked');
  return t;
}

const notFound = (id: string) => ({ code: 'token-not-found', message: `you have no API token ${JSON.stringify(id)}`, fix: 'reload the API tokens page: only your own tokens are listed, and only they can be revoked' });

// ---- pages ----

async function render(ctx: Ctx, deps: ConsoleDeps, status: number, extra: { problem?: PageProblem; label?: string } = {}): Promise<void> {
  const revoked = status === 200 ? ctx.query.get('revoked') : null;
  const flash = revoked === null ? undefined : `Revoked API token ${revoked}: requests with it are refused from now on.`;
  sendHtml(ctx.res, status, tokensPage(ctx.settings, who(ctx), await listOwnTokens(deps, actorOf(ctx, 'page')), { ...extra, ...(flash ? { flash } : {}) }));
}

export const tokensFeature: ConsoleFeature = {
  pages: [
    { method: 'GET', path: /^\/tokens$/, run: (ctx, deps) => render(ctx, deps, 200) },
    {
      // The answer is the page that shows the token: never a redirect, so the value is in no URL or history entry.
      method: 'POST',
      path: /^\/tokens$/,
      run: async (ctx, deps, _p, form) => {
        const label = form?.get('label') ?? '';
        try {
          const created = await createOwnToken(deps, actorOf(ctx, 'page'), label);
          sendHtml(ctx.res, 200, newTokenPage(ctx.settings, who(ctx), created));
        } catch (err) {
          const { status, problem } = formProblem(err);
          await render(ctx, deps, status, { problem, label });
        }
      },
    },
    {
      method: 'POST',
      path: /^\/tokens\/([^/]+)\/revoke$/,
      run: async (ctx, deps, [id]) => {
        const t = await revokeOwnToken(deps, actorOf(ctx, 'page'), id ?? '');
        if (!t) return render(ctx, deps, 404, { problem: notFound(id ?? '') });
        redirect(ctx.res, link(ctx.settings, `/tokens?revoked=${t.id}`), { status: 303 });
      },
    },
  ],
  api: [
    { method: 'GET', path: /^\/api\/v1\/tokens$/, run: async (ctx, deps) => sendJson(ctx.res, 200, await listOwnTokens(deps, actorOf(ctx, 'api'))) },
    {
      method: 'POST',
      path: /^\/api\/v1\/tokens$/,
      run: async (ctx, deps) => {
        if (ctx.auth!.kind === 'token') return apiError(ctx, 403, 'token-cannot-create-tokens', 'an API token cannot create API tokens: create them in the console (API tokens page) or with "postern admin token create"');
        const body = parseBody(ctx, NewToken, await readJson(ctx.req), '{"label": "backup script"}');
        if (body !== null) sendJson(ctx.res, 201, await createOwnToken(deps, actorOf(ctx, 'api'), body.label));
      },
    },
    {
      method: 'DELETE',
      path: /^\/api\/v1\/tokens\/([^/]+)$/,
      run: async (ctx, deps, [id]) => {
        const t = await revokeOwnToken(deps, actorOf(ctx, 'api'), id ?? '');
        if (!t) return apiError(ctx, 404, 'token-not-found', `you have no API token ${JSON.stringify(id)} (see GET /api/v1/tokens; only your own tokens can be revoked)`);
        sendJson(ctx.res, 204, null);
      },
    },
  ],
  paths: {
    '/tokens': {
      get: { summary: 'My API tokens (never their values)', responses: { '200': { description: 'oldest first', content: json({ type: 'array', items: ref('ApiToken') }) }, ...authErrors } },
      post: {
        summary: 'Create an API token for me; its value is in this answer only',
        description: 'Only with a console session: a request authenticated with a token is refused (`token-cannot-create-tokens`), so a leaked token cannot outlive its revocation through a successor.',
        requestBody: { required: true, content: json(ref('NewApiToken')) },
        responses: {
          '201': { description: 'the token with its value; store it now', content: json(ref('CreatedApiToken')) },
          '400': problemResponse('invalid body or label (`invalid-body`, `invalid`)'),
          ...authErrors,
          '403': problemResponse('refused: origin check or CSRF token (cookie sessions), or a request made with a token (`token-cannot-create-tokens`)'),
        },
      },
    },
    '/tokens/{id}': {
      delete: {
        summary: 'Revoke one of my API tokens; requests with it are refused at once',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' }, description: 'the id GET /tokens lists' }],
        responses: { '204': { description: 'revoked (or already revoked)' }, '404': problemResponse('I have no token with that id (`token-not-found`)'), ...authErrors },
      },
    },
  },
};
