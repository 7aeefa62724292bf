/**
 * App passwords in the console and the API (issue 5 item 6): the page of one mailbox's app
 * passwords (/mailboxes/<address>/app-passwords) and GET/POST/DELETE under
 * /api/v1/mailboxes/{address}/app-passwords. Creating and revoking are the operations of
 * src/app-passwords/manage.ts, the same the CLI runs, each wrapped once below with its audit line.
 *
 * Shown once: the API answers the POST with the password. A page cannot put it in the redirect
 * after its POST (it would land in the browser's history and the proxies' logs), and answering
 * the POST itself would create another one when the page is reloaded. So the page keeps the new
 * password in memory for a few minutes under a random handle bound to the session that made it,
 * redirects to the list with that handle, and the first GET takes it out: a reload finds nothing.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { createAppPassword, listAppPasswords, revokeAppPassword, type AppPasswordView, type CreateAppPassword } from '../app-passwords/index.js';
import { DirectoryError } from '../directory/types.js';
import { actorOf, audit, type Actor } from './actor.js';
import type { ConsoleDeps, Ctx } from './context.js';
import { formProblem } from './form-errors.js';
import { readJson, redirect, sendHtml, sendJson } from './http-io.js';
import { authErrors, json, parseBody, problem, problemResponse, ref, registry, splitList, who, type ConsoleFeature } from './kit.js';
import { appPasswordsPage, type AppPasswordForm, type NewlyCreated } from './views/app-passwords.js';
import { link } from './views/layout.js';
import type { PageProblem } from './views/parts.js';

const AppPassword = z
  .object({
    id: z.number().int(),
    mailbox: z.string(),
    label: z.string(),
    protocols: z.array(z.enum(['imap', 'pop3', 'smtp'])).describe("what it may be used for; the mailbox's own protocols apply too"),
    networks: z.array(z.string()).describe("client networks it may be used from; empty: anywhere the mailbox allows"),
    expiresAt: z.string().nullable(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable().describe('updated at most once a minute'),
    revokedAt: z.string().nullable(),
    state: z.enum(['active', 'expired', 'revoked']),
  })
  .describe('an app password as listed: never the password, never its hash')
  .register(registry, { id: 'AppPassword' });
const NewAppPassword = z
  .object({
    label: z.string().describe("what will use it, e.g. \"alice's phone\""),
    protocols: z.array(z.string()).optional().describe("subset of the mailbox's protocols; default: all of them"),
    networks: z.array(z.string()).optional().describe('CIDR networks or addresses; default: anywhere'),
    expires: z.string().nullable().optional().describe('a date (2027-01-01, 00:00 UTC), a number of days (90d), an ISO-8601 time, or null/"never"'),
  })
  .strict()
  .register(registry, { id: 'NewAppPassword' });
z.object({ password: z.string().describe('the app password: shown this once, never again (only its hash is kept)'), appPassword: AppPassword }).register(registry, { id: 'CreatedAppPassword' });

export async function createForMailbox(deps: ConsoleDeps, by: Actor, input: CreateAppPassword, now: Date): Promise<{ password: string; appPassword: AppPasswordView }> {
  const made = await createAppPassword(deps.store, input, now);
  const a = made.appPassword;
  audit(deps, by, 'admin-app-password-created', { mailbox: a.mailbox, app_password_id: a.id, label: a.label, protocols: a.protocols, networks: a.networks, expires_at: a.expiresAt }, 'app password created');
  return made;
}

export async function revokeForMailbox(deps: ConsoleDeps, by: Actor, mailbox: string, id: number, now: Date): Promise<AppPasswordView> {
  const r = await revokeAppPassword(deps.store, id, mailbox, now);
  if (!r.already) audit(deps, by, 'admin-app-password-revoked', { mailbox: r.appPassword.mailbox, app_password_id: id, label: r.appPassword.label }, 'app password revoked');
  return r.appPassword;
}

// ---- shown once ----

const REVEAL_MS = 5 * 60_000;
const MAX_REVEALS = 1000;
const reveals = new Map<string, { owner: string; mailbox: string; created: NewlyCreated; until: number }>();

const ownerOf = (ctx: Ctx): string => {
  const a = ctx.auth!;
  return a.kind === 'session' ? `session:${a.session.idHash}` : `token:${a.token.id}`;
};

function keepForOneView(ctx: Ctx, mailbox: string, created: NewlyCreated): string {
  const now = ctx.now.getTime();
  for (const [k, r] of reveals) if (r.until <= now || reveals.size >= MAX_REVEALS) reveals.delete(k);
  const handle = randomBytes(16).toString('base64url');
  reveals.set(handle, { owner: ownerOf(ctx), mailbox, created, until: now + REVEAL_MS });
  return handle;
}

/** The new password behind `handle`, once, to the session that made it; undefined afterwards. */
function takeOnce(ctx: Ctx, mailbox: string, handle: string): NewlyCreated | undefined {
  const r = reveals.get(handle);
  if (!r || r.owner !== ownerOf(ctx) || r.mailbox !== mailbox) return undefined;
  reveals.delete(handle);
  return r.until > ctx.now.getTime() ? r.created : undefined;
}

// ---- pages ----

const pagePath = (address: string): string => `/mailboxes/${encodeURIComponent(address)}/app-passwords`;

async function render(ctx: Ctx, deps: ConsoleDeps, address: string, status: number, extra: { problem?: PageProblem; form?: AppPasswordForm } = {}): Promise<void> {
  // The list first: for an unknown mailbox or an alias it throws the store's not-found, which says which.
  const list = await listAppPasswords(deps.store, address, ctx.now);
  const mailbox = await deps.store.getMailbox(address);
  if (!mailbox) throw new DirectoryError('not-found', `mailbox "${address}" does not exist`);
  const handle = ctx.query.get('created');
  const created = handle !== null && status === 200 ? takeOnce(ctx, mailbox.address, handle) : undefined;
  let flash: string | undefined;
  if (handle !== null && !created && status === 200) flash = 'That new app password has already been shown and cannot be shown again. If it was not copied, revoke it and create another.';
  const revoked = ctx.query.get('revoked');
  if (revoked !== null && status === 200) flash = `Revoked the app password ${JSON.stringify(revoked)}.`;
  sendHtml(ctx.res, status, appPasswordsPage(ctx.settings, who(ctx), { address: mailbox.address, protocols: [...mailbox.protocols] }, list, { ...extra, ...(created ? { created } : {}), ...(flash ? { flash } : {}) }));
}

export const appPasswordsFeature: ConsoleFeature = {
  pages: [
    { method: 'GET', path: /^\/mailboxes\/([^/]+)\/app-passwords$/, run: (ctx, deps, [address]) => render(ctx, deps, address ?? '', 200) },
    {
      method: 'POST',
      path: /^\/mailboxes\/([^/]+)\/app-passwords$/,
      run: async (ctx, deps, [address = ''], form) => {
        const typed: AppPasswordForm = { label: form?.get('label') ?? '', protocols: form?.getAll('protocol') ?? [], networks: form?.get('networks') ?? '', expires: form?.get('expires') ?? '' };
        try {
          const made = await createForMailbox(deps, actorOf(ctx, 'page'), { mailbox: address, label: typed.label, protocols: typed.protocols, networks: splitList(typed.networks), expires: typed.expires }, ctx.now);
          const handle = keepForOneView(ctx, made.appPassword.mailbox, { password: made.password, label: made.appPassword.label });
          redirect(ctx.res, link(ctx.settings, `${pagePath(made.appPassword.mailbox)}?created=${handle}`), { status: 303 });
        } catch (err) {
          const { status, problem: p } = formProblem(err);
          if (status === 404) return problem(ctx, 404, p);
          await render(ctx, deps, address, status, { problem: p, form: typed });
        }
      },
    },
    {
      method: 'POST',
      path: /^\/mailboxes\/([^/]+)\/app-passwords\/([^/]+)\/revoke$/,
      run: async (ctx, deps, [address = '', id]) => {
        try {
          const r = await revokeForMailbox(deps, actorOf(ctx, 'page'), address, Number(id), ctx.now);
          redirect(ctx.res, link(ctx.settings, `${pagePath(r.mailbox)}?${new URLSearchParams({ revoked: r.label })}`), { status: 303 });
        } catch (err) {
          const { status, problem: p } = formProblem(err, { 'not-found': 'reload the page: it lists the app passwords this mailbox has' });
          problem(ctx, status, p);
        }
      },
    },
  ],
  api: [
    {
      method: 'GET',
      path: /^\/api\/v1\/mailboxes\/([^/]+)\/app-passwords$/,
      run: async (ctx, deps, [address]) => sendJson(ctx.res, 200, await listAppPasswords(deps.store, address ?? '', ctx.now)),
    },
    {
      method: 'POST',
      path: /^\/api\/v1\/mailboxes\/([^/]+)\/app-passwords$/,
      run: async (ctx, deps, [address = '']) => {
        const body = parseBody(ctx, NewAppPassword, await readJson(ctx.req), '{"label": "alice\'s phone", "protocols": ["imap", "smtp"], "networks": [], "expires": "90d"}');
        if (body === null) return;
        const input: CreateAppPassword = {
          mailbox: address,
          label: body.label,
          ...(body.protocols !== undefined ? { protocols: body.protocols } : {}),
          ...(body.networks !== undefined ? { networks: body.networks } : {}),
          ...(body.expires !== undefined && body.expires !== null ? { expires: body.expires } : {}),
        };
        sendJson(ctx.res, 201, await createForMailbox(deps, actorOf(ctx, 'api'), input, ctx.now));
      },
    },
    {
      method: 'DELETE',
      path: /^\/api\/v1\/mailboxes\/([^/]+)\/app-passwords\/([^/]+)$/,
      run: async (ctx, deps, [address = '', id]) => {
        await revokeForMailbox(deps, actorOf(ctx, 'api'), address, Number(id), ctx.now);
        sendJson(ctx.res, 204, null);
      },
    },
  ],
  paths: appPasswordPaths(),
};

function appPasswordPaths(): Record<string, unknown> {
  const problem = problemResponse;
  const address = { name: 'address', in: 'path', required: true, schema: { type: 'string' }, description: 'the mailbox address, percent-encoded' };
  return {
    '/mailboxes/{address}/app-passwords': {
      get: {
        summary: "List a mailbox's app passwords (never the passwords)",
        parameters: [address],
        responses: { '200': { description: 'by id', content: json({ type: 'array', items: ref('AppPassword') }) }, '404': problem('no such mailbox (`not-found`)'), ...authErrors },
      },
      post: {
        summary: 'Create an app password; the answer holds the password, shown this once',
        parameters: [address],
        requestBody: { required: true, content: json(ref('NewAppPassword')) },
        responses: {
          '201': { description: 'the password (only now) and the app password as listed', content: json(ref('CreatedAppPassword')) },
          '400': problem('invalid body, label, protocol, network or expiry (`invalid-body`, `invalid`)'),
          '404': problem('no such mailbox (`not-found`)'),
          '409': problem('a live app password of this mailbox already has that label (`exists`)'),
          ...authErrors,
        },
      },
    },
    '/mailboxes/{address}/app-passwords/{id}': {
      delete: {
        summary: 'Revoke an app password: logins with it are refused from the next one on (revoking a revoked one changes nothing)',
        parameters: [address, { name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
        responses: { '204': { description: 'revoked' }, '404': problem('no such app password of this mailbox (`not-found`)'), ...authErrors },
      },
    },
  };
}
