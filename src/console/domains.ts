/**
 * Domains and domain aliases in the console and the API (issue 5, item 5). The operations are
 * the store's own (the same calls and validation as `postern domain ...`); each is one function
 * below that the page and the API both call, and that writes the audit line. A domain is
 * removed only when no mailbox or alias lives in it (the store refuses with `in-use`): removing
 * mailboxes is never a side effect.
 */
import { z } from 'zod';
import { parseDomainName } from '../store/validate.js';
import { actorOf, audit, type Actor } from './actor.js';
import type { ConsoleDeps, Ctx } from './context.js';
import { formProblem } from './form-errors.js';
import { readJson, redirect, sendHtml, sendJson } from './http-io.js';
import { authErrors, json, parseBody, problemResponse, ref, registry, who, type ConsoleFeature } from './kit.js';
import { domainsPage, type DomainsForm } from './views/domains.js';
import { link } from './views/layout.js';
import type { PageProblem } from './views/parts.js';

export interface DomainView {
  name: string;
  /** Domain aliases: other names of this domain. */
  aliases: string[];
  mailboxes: number;
  /** Address aliases (info@example.com) that live in this domain. */
  addressAliases: number;
  createdAt: string;
}

// The answers' shapes, registered for the OpenAPI document; the bodies are checked with the two below.
z
  .object({
    name: z.string(),
    aliases: z.array(z.string()).describe('domain aliases: other names of this domain (alice@alias.example logs in as alice@<name>)'),
    mailboxes: z.number().int().describe('mailboxes in this domain'),
    addressAliases: z.number().int().describe('address aliases in this domain; with mailboxes, they keep the domain from being removed'),
    createdAt: z.string(),
  })
  .register(registry, { id: 'Domain' });
z.object({ alias: z.string(), domain: z.string() }).register(registry, { id: 'DomainAlias' });
const NewDomain = z.object({ name: z.string().describe('e.g. example.com') }).strict().register(registry, { id: 'NewDomain' });
const NewDomainAlias = z.object({ alias: z.string().describe('the other name, e.g. example.net') }).strict().register(registry, { id: 'NewDomainAlias' });

/** Every domain with its domain aliases and how many mailboxes and address aliases it holds (counted by the directory). */
export async function listDomainViews(deps: ConsoleDeps): Promise<DomainView[]> {
  const [domains, counts] = await Promise.all([deps.store.listDomains(), deps.store.countPerDomain()]);
  const per = new Map(counts.map((c) => [c.domain, c]));
  return domains.map((d) => ({ name: d.name, aliases: [...d.aliases], mailboxes: per.get(d.name)?.mailboxes ?? 0, addressAliases: per.get(d.name)?.aliases ?? 0, createdAt: d.createdAt }));
}

export async function addDomain(deps: ConsoleDeps, by: Actor, name: string): Promise<DomainView> {
  const d = await deps.store.addDomain(name);
  audit(deps, by, 'admin-domain-added', { domain: d.name }, 'domain added');
  return { name: d.name, aliases: [], mailboxes: 0, addressAliases: 0, createdAt: d.createdAt };
}

/** Refused with `in-use` while mailboxes or aliases live in the domain; its domain aliases and routes go with it. */
export async function removeDomain(deps: ConsoleDeps, by: Actor, name: string): Promise<string> {
  await deps.store.removeDomain(name);
  const removed = parseDomainName(name);
  audit(deps, by, 'admin-domain-removed', { domain: removed }, 'domain removed');
  return removed;
}

export async function addDomainAlias(deps: ConsoleDeps, by: Actor, alias: string, domain: string): Promise<{ alias: string; domain: string }> {
  await deps.store.addDomainAlias(alias, domain);
  const added = { alias: parseDomainName(alias), domain: parseDomainName(domain) };
  audit(deps, by, 'admin-domain-alias-added', { alias: added.alias, domain: added.domain }, 'domain alias added');
  return added;
}

export async function removeDomainAlias(deps: ConsoleDeps, by: Actor, alias: string): Promise<string> {
  await deps.store.removeDomainAlias(alias);
  const removed = parseDomainName(alias);
  audit(deps, by, 'admin-domain-alias-removed', { alias: removed }, 'domain alias removed');
  return removed;
}

// ---- pages ----

function flash(q: URLSearchParams): string | undefined {
  const [added, removed, aliasAdded, aliasRemoved] = ['added', 'removed', 'alias-added', 'alias-removed'].map((k) => q.get(k));
  if (added) return `Added domain ${added}.`;
  if (removed) return `Removed domain ${removed}.`;
  if (aliasAdded) return `${aliasAdded} is now an alias of ${q.get('of') ?? 'its domain'}.`;
  if (aliasRemoved) return `Removed the domain alias ${aliasRemoved}.`;
  return undefined;
}

async function render(ctx: Ctx, deps: ConsoleDeps, status: number, extra: { problem?: PageProblem; form?: DomainsForm } = {}): Promise<void> {
  const f = flash(ctx.query);
  sendHtml(ctx.res, status, domainsPage(ctx.settings, who(ctx), await listDomainViews(deps), { ...extra, ...(f && status === 200 ? { flash: f } : {}) }));
}

const back = (ctx: Ctx, query: Record<string, string>) => redirect(ctx.res, link(ctx.settings, `/domains?${new URLSearchParams(query)}`), { status: 303 });

const IN_USE_FIX = 'remove or move the mailboxes and aliases of the domain first (Mailboxes and Aliases pages), then remove the domain';

export const domainsFeature: ConsoleFeature = {
  pages: [
    { method: 'GET', path: /^\/domains$/, run: (ctx, deps) => render(ctx, deps, 200) },
    {
      method: 'POST',
      path: /^\/domains$/,
      run: async (ctx, deps, _p, form) => {
        const name = form?.get('name') ?? '';
        try {
          back(ctx, { added: (await addDomain(deps, actorOf(ctx, 'page'), name)).name });
        } catch (err) {
          const { status, problem } = formProblem(err);
          await render(ctx, deps, status, { problem, form: { which: 'domain', name } });
        }
      },
    },
    {
      method: 'POST',
      path: /^\/domains\/([^/]+)\/remove$/,
      run: async (ctx, deps, [name]) => {
        try {
          back(ctx, { removed: await removeDomain(deps, actorOf(ctx, 'page'), name ?? '') });
        } catch (err) {
          const { status, problem } = formProblem(err, { 'in-use': IN_USE_FIX });
          await render(ctx, deps, status, { problem });
        }
      },
    },
    {
      method: 'POST',
      path: /^\/domain-aliases$/,
      run: async (ctx, deps, _p, form) => {
        const alias = form?.get('alias') ?? '';
        const domain = form?.get('domain') ?? '';
        try {
          const added = await addDomainAlias(deps, actorOf(ctx, 'page'), alias, domain);
          back(ctx, { 'alias-added': added.alias, of: added.domain });
        } catch (err) {
          const { status, problem } = formProblem(err);
          await render(ctx, deps, status, { problem, form: { which: 'alias', alias, domain } });
        }
      },
    },
    {
      method: 'POST',
      path: /^\/domain-aliases\/([^/]+)\/remove$/,
      run: async (ctx, deps, [alias]) => {
        try {
          back(ctx, { 'alias-removed': await removeDomainAlias(deps, actorOf(ctx, 'page'), alias ?? '') });
        } catch (err) {
          const { status, problem } = formProblem(err);
          await render(ctx, deps, status, { problem });
        }
      },
    },
  ],
  api: [
    { method: 'GET', path: /^\/api\/v1\/domains$/, run: async (ctx, deps) => sendJson(ctx.res, 200, await listDomainViews(deps)) },
    {
      method: 'POST',
      path: /^\/api\/v1\/domains$/,
      run: async (ctx, deps) => {
        const body = parseBody(ctx, NewDomain, await readJson(ctx.req), '{"name": "example.com"}');
        if (body !== null) sendJson(ctx.res, 201, await addDomain(deps, actorOf(ctx, 'api'), body.name));
      },
    },
    {
      method: 'DELETE',
      path: /^\/api\/v1\/domains\/([^/]+)$/,
      run: async (ctx, deps, [name]) => {
        await removeDomain(deps, actorOf(ctx, 'api'), name ?? '');
        sendJson(ctx.res, 204, null);
      },
    },
    {
      method: 'POST',
      path: /^\/api\/v1\/domains\/([^/]+)\/aliases$/,
      run: async (ctx, deps, [name]) => {
        const body = parseBody(ctx, NewDomainAlias, await readJson(ctx.req), '{"alias": "example.net"}');
        if (body !== null) sendJson(ctx.res, 201, await addDomainAlias(deps, actorOf(ctx, 'api'), body.alias, name ?? ''));
      },
    },
    {
      method: 'DELETE',
      path: /^\/api\/v1\/domain-aliases\/([^/]+)$/,
      run: async (ctx, deps, [alias]) => {
        await removeDomainAlias(deps, actorOf(ctx, 'api'), alias ?? '');
        sendJson(ctx.res, 204, null);
      },
    },
  ],
  paths: domainPaths(),
};

function domainPaths(): Record<string, unknown> {
  const problem = problemResponse;
  const name = { name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'the domain name' };
  return {
    '/domains': {
      get: { summary: 'List domains with their domain aliases and counts', responses: { '200': { description: 'by name', content: json({ type: 'array', items: ref('Domain') }) }, ...authErrors } },
      post: {
        summary: 'Add a domain',
        requestBody: { required: true, content: json(ref('NewDomain')) },
        responses: { '201': { description: 'the new domain', content: json(ref('Domain')) }, '400': problem('invalid body or domain name (`invalid-body`, `invalid`)'), '409': problem('the name is already a domain or a domain alias (`exists`)'), ...authErrors },
      },
    },
    '/domains/{name}': {
      delete: {
        summary: 'Remove a domain (with its domain aliases and routes); refused while mailboxes or aliases live in it',
        parameters: [name],
        responses: { '204': { description: 'removed' }, '400': problem('not a valid name, or the name of a domain alias (`invalid`)'), '404': problem('no such domain (`not-found`)'), '409': problem('mailboxes or aliases still live in it (`in-use`): remove them first'), ...authErrors },
      },
    },
    '/domains/{name}/aliases': {
      post: {
        summary: 'Add a domain alias: another name for the domain',
        parameters: [name],
        requestBody: { required: true, content: json(ref('NewDomainAlias')) },
        responses: { '201': { description: 'the alias and its domain', content: json(ref('DomainAlias')) }, '400': problem('invalid body or name (`invalid-body`, `invalid`)'), '404': problem('no such domain (`not-found`)'), '409': problem('the alias is already a domain or a domain alias (`exists`)'), ...authErrors },
      },
    },
    '/domain-aliases/{alias}': {
      delete: {
        summary: 'Remove a domain alias',
        parameters: [{ name: 'alias', in: 'path', required: true, schema: { type: 'string' }, description: 'the domain alias, e.g. example.net' }],
        responses: { '204': { description: 'removed' }, '400': problem('not a valid name (`invalid`)'), '404': problem('not a domain alias (`not-found`)'), ...authErrors },
      },
    },
  };
}
