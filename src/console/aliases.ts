/**
 * Address aliases in the console and the API (issue 5, item 5): another address that logs in
 * as, and receives the mail of, one mailbox. The operations are the store's (the same calls and
 * validation as `postern alias ...`), one function each that the page and the API both call and
 * that writes the audit line.
 */
import { z } from 'zod';
import type { Alias } from '../directory/types.js';
import { parseAddress } from '../store/validate.js';
import { actorOf, audit, type Actor } from './actor.js';
import type { ConsoleDeps, Ctx } from './context.js';
import { formProblem } from './form-errors.js';
import { readJson, redirect, sendHtml, sendJson } from './http-io.js';
import { authErrors, json, parseBody, problemResponse, ref, registry, who, type ConsoleFeature } from './kit.js';
import { aliasesPage, type AliasesForm } from './views/aliases.js';
import { link } from './views/layout.js';
import type { PageProblem } from './views/parts.js';

export interface AliasView {
  address: string;
  mailbox: string;
}

z.object({ address: z.string().describe('the alias address'), mailbox: z.string().describe('the mailbox it logs in as and delivers to') }).register(registry, { id: 'Alias' });
const NewAlias = z.object({ address: z.string().describe('e.g. info@example.com'), mailbox: z.string().describe('e.g. alice@example.com') }).strict().register(registry, { id: 'NewAlias' });

const view = (a: Alias): AliasView => ({ address: a.address, mailbox: a.mailboxAddress });

/** Every alias, or those of one mailbox (`not-found` when there is no such mailbox). */
export async function listAliasViews(deps: ConsoleDeps, mailbox?: string): Promise<AliasView[]> {
  return (await deps.store.listAliases(mailbox === undefined ? undefined : { mailbox })).map(view);
}

export async function addAlias(deps: ConsoleDeps, by: Actor, address: string, mailbox: string): Promise<AliasView> {
  const a = view(await deps.store.addAlias(address, mailbox));
  audit(deps, by, 'admin-alias-added', { alias: a.address, mailbox: a.mailbox }, 'alias added');
  return a;
}

export async function removeAlias(deps: ConsoleDeps, by: Actor, address: string): Promise<string> {
  await deps.store.removeAlias(address);
  const removed = parseAddress(address).address;
  audit(deps, by, 'admin-alias-removed', { alias: removed }, 'alias removed');
  return removed;
}

// ---- pages ----

function flash(q: URLSearchParams): string | undefined {
  const added = q.get('added');
  if (added !== null) return `${added} now logs in as, and gets the mail of, ${q.get('to') ?? 'its mailbox'}.`;
  const removed = q.get('removed');
  return removed === null ? undefined : `Removed the alias ${removed}.`;
}

async function render(ctx: Ctx, deps: ConsoleDeps, status: number, extra: { problem?: PageProblem; form?: AliasesForm } = {}): Promise<void> {
  let filter = ctx.query.get('mailbox')?.trim() || undefined;
  let aliases: AliasView[] = [];
  let problem = extra.problem;
  try {
    aliases = await listAliasViews(deps, filter);
    // Shown as the store matched it (lower case); it parsed, or the list would have failed.
    if (filter !== undefined) filter = parseAddress(filter).address;
  } catch (err) {
    const p = formProblem(err, { 'not-found': 'check the address, or show every alias' });
    problem ??= p.problem;
    if (status === 200) status = p.status;
  }
  const f = status === 200 ? flash(ctx.query) : undefined;
  sendHtml(ctx.res, status, aliasesPage(ctx.settings, who(ctx), aliases, { ...(filter ? { filter } : {}), ...(problem ? { problem } : {}), ...(extra.form ? { form: extra.form } : {}), ...(f ? { flash: f } : {}) }));
}

const back = (ctx: Ctx, query: Record<string, string>) => redirect(ctx.res, link(ctx.settings, `/aliases?${new URLSearchParams(query)}`), { status: 303 });

export const aliasesFeature: ConsoleFeature = {
  pages: [
    { method: 'GET', path: /^\/aliases$/, run: (ctx, deps) => render(ctx, deps, 200) },
    {
      method: 'POST',
      path: /^\/aliases$/,
      run: async (ctx, deps, _p, form) => {
        const address = form?.get('address') ?? '';
        const mailbox = form?.get('mailbox') ?? '';
        try {
          const a = await addAlias(deps, actorOf(ctx, 'page'), address, mailbox);
          back(ctx, { added: a.address, to: a.mailbox });
        } catch (err) {
          const { status, problem } = formProblem(err);
          await render(ctx, deps, status, { problem, form: { address, mailbox } });
        }
      },
    },
    {
      method: 'POST',
      path: /^\/aliases\/([^/]+)\/remove$/,
      run: async (ctx, deps, [address]) => {
        try {
          back(ctx, { removed: await removeAlias(deps, actorOf(ctx, 'page'), address ?? '') });
        } catch (err) {
          const { status, problem } = formProblem(err);
          await render(ctx, deps, status, { problem });
        }
      },
    },
  ],
  api: [
    {
      method: 'GET',
      path: /^\/api\/v1\/aliases$/,
      run: async (ctx, deps) => sendJson(ctx.res, 200, await listAliasViews(deps, ctx.query.get('mailbox') || undefined)),
    },
    {
      method: 'POST',
      path: /^\/api\/v1\/aliases$/,
      run: async (ctx, deps) => {
        const body = parseBody(ctx, NewAlias, await readJson(ctx.req), '{"address": "info@example.com", "mailbox": "alice@example.com"}');
        if (body !== null) sendJson(ctx.res, 201, await addAlias(deps, actorOf(ctx, 'api'), body.address, body.mailbox));
      },
    },
    {
      method: 'DELETE',
      path: /^\/api\/v1\/aliases\/([^/]+)$/,
      run: async (ctx, deps, [address]) => {
        await removeAlias(deps, actorOf(ctx, 'api'), address ?? '');
        sendJson(ctx.res, 204, null);
      },
    },
  ],
  paths: {
    '/aliases': {
      get: {
        summary: 'List aliases, optionally of one mailbox',
        parameters: [{ name: 'mailbox', in: 'query', required: false, schema: { type: 'string' }, description: 'only the aliases of this mailbox' }],
        responses: { '200': { description: 'by address', content: json({ type: 'array', items: ref('Alias') }) }, '400': problemResponse('not a valid address (`invalid`)'), '404': problemResponse('no such mailbox (`not-found`)'), ...authErrors },
      },
      post: {
        summary: 'Add an alias: another address that logs in as, and receives the mail of, a mailbox',
        requestBody: { required: true, content: json(ref('NewAlias')) },
        responses: {
          '201': { description: 'the new alias', content: json(ref('Alias')) },
          '400': problemResponse('invalid body or address, or the alias is in a domain alias (`invalid-body`, `invalid`)'),
          '404': problemResponse('no such mailbox or domain (`not-found`)'),
          '409': problemResponse('the address is already a mailbox or an alias (`exists`)'),
          ...authErrors,
        },
      },
    },
    '/aliases/{address}': {
      delete: {
        summary: 'Remove an alias',
        parameters: [{ name: 'address', in: 'path', required: true, schema: { type: 'string' }, description: 'the alias address ("@" may be sent as is or as %40)' }],
        responses: { '204': { description: 'removed' }, '400': problemResponse('not a valid address (`invalid`)'), '404': problemResponse('no such alias (`not-found`)'), ...authErrors },
      },
    },
  },
};
