/**
 * Backends in the console (issue 5, items 5 and 7): the list, adding one, a backend's own page
 * with its forms (host and ports; the master login set, with the password sealed in the vault
 * as `postern backend master set` does, or cleared), removing it after a confirmation (refused
 * while routes use it, naming them), and the API beside them (backends-api.ts). Pages and API
 * call the same operations (backend-ops.ts).
 */
import { VaultOffError } from '../directory/master-login.js';
import { DirectoryError, type BackendPorts } from '../directory/types.js';
import { actorOf } from './actor.js';
import { addBackend, changeBackend, clearMaster, getBackendView, listBackendViews, PORT_NAMES, removeBackend, setMaster } from './backend-ops.js';
import { backendApi, backendPaths } from './backends-api.js';
import type { ConsoleDeps, Ctx } from './context.js';
import { formProblem } from './form-errors.js';
import { redirect, sendHtml } from './http-io.js';
import { who, type ConsoleFeature, type PageRoute } from './kit.js';
import { backendPage, backendPath, backendsPage, deleteBackendPage, newBackendPage, type BackendPageView, type HostPortsTyped } from './views/backends.js';
import { link } from './views/layout.js';
import type { PageProblem } from './views/parts.js';

const DONE: Record<string, string> = {
  added: 'Backend added. Route logins to it on the Routes page.',
  saved: 'Host and ports saved.',
  'master-set': 'The master login is set; its password is encrypted in the vault.',
  'master-cleared': 'The master login is cleared: nginx logs in to IMAP/POP3 as the user again.',
};

const IN_USE_FIX = 'point those routes at another backend (or remove them) on the Routes page, then remove the backend';

/** Ports as typed into the form: empty is "not served" (null); anything else must be a port number. */
function portsFrom(t: HostPortsTyped): BackendPorts {
  const out = { imap: null, pop3: null, smtp: null, mx: null } as BackendPorts;
  for (const p of PORT_NAMES) {
    const text = t.ports[p].trim();
    if (text === '') continue;
    // The store checks the range (parsePort); here only that it is a number at all.
    if (!/^\d{1,5}$/.test(text)) throw new DirectoryError('invalid', `${p.toUpperCase()} port must be a whole number from 1 to 65535, not "${text}"`);
    out[p] = Number(text);
  }
  return out;
}

function typedHostPorts(f: URLSearchParams): HostPortsTyped {
  const v = (k: string) => f.get(k) ?? '';
  return { host: v('host'), ports: { imap: v('imap'), pop3: v('pop3'), smtp: v('smtp'), mx: v('mx') } };
}

/** formProblem, plus the vault being off (a configuration problem with its own code). */
function pageProblem(err: unknown, fix?: Parameters<typeof formProblem>[1]): { status: number; problem: PageProblem } {
  if (err instanceof VaultOffError) return { status: 409, problem: { code: err.code, message: err.message } };
  return formProblem(err, fix);
}

const toBackend = (ctx: Ctx, name: string, done: keyof typeof DONE) => redirect(ctx.res, link(ctx.settings, `${backendPath(name)}?done=${done}`), { status: 303 });

async function showBackend(ctx: Ctx, deps: ConsoleDeps, name: string, status = 200, failed?: BackendPageView['failed']): Promise<void> {
  const done = status === 200 ? DONE[ctx.query.get('done') ?? ''] : undefined;
  const b = await getBackendView(deps, name);
  sendHtml(ctx.res, status, backendPage(ctx.settings, who(ctx), { b, vault: deps.keyring !== null, ...(done ? { flash: done } : {}), ...(failed ? { failed } : {}) }));
}

/** Runs one change from a backend's page: on success back to its page with a flash, else the page with the problem in that form. */
async function change(ctx: Ctx, deps: ConsoleDeps, name: string, failed: Omit<NonNullable<BackendPageView['failed']>, 'problem'>, run: () => Promise<{ name: string }>, done: keyof typeof DONE): Promise<void> {
  try {
    toBackend(ctx, (await run()).name, done);
  } catch (err) {
    const { status, problem } = pageProblem(err);
    if (status === 404) throw err;
    await showBackend(ctx, deps, name, status, { ...failed, problem });
  }
}

const pages: readonly PageRoute[] = [
  {
    method: 'GET',
    path: /^\/backends$/,
    run: async (ctx, deps) => {
      const removed = ctx.query.get('removed');
      sendHtml(ctx.res, 200, backendsPage(ctx.settings, who(ctx), await listBackendViews(deps), removed === null ? undefined : `Removed backend ${removed}.`));
    },
  },
  { method: 'GET', path: /^\/backends\/new$/, run: async (ctx) => sendHtml(ctx.res, 200, newBackendPage(ctx.settings, who(ctx))) },
  {
    method: 'POST',
    path: /^\/backends$/,
    run: async (ctx, deps, _p, form) => {
      const f = form ?? new URLSearchParams();
      const typed = { name: f.get('name') ?? '', ...typedHostPorts(f) };
      try {
        const b = await addBackend(deps, actorOf(ctx, 'page'), { name: typed.name, host: typed.host, ports: portsFrom(typed) });
        toBackend(ctx, b.name, 'added');
      } catch (err) {
        const { status, problem } = pageProblem(err);
        sendHtml(ctx.res, status, newBackendPage(ctx.settings, who(ctx), { typed, problem }));
      }
    },
  },
  { method: 'GET', path: /^\/backends\/([^/]+)$/, run: (ctx, deps, [name]) => showBackend(ctx, deps, name ?? '') },
  {
    method: 'POST',
    path: /^\/backends\/([^/]+)\/settings$/,
    run: (ctx, deps, [name], form) => {
      const typed = typedHostPorts(form ?? new URLSearchParams());
      return change(ctx, deps, name ?? '', { form: 'settings', hostPorts: typed }, () => changeBackend(deps, actorOf(ctx, 'page'), name ?? '', { host: typed.host, ports: portsFrom(typed) }), 'saved');
    },
  },
  {
    method: 'POST',
    path: /^\/backends\/([^/]+)\/master$/,
    run: (ctx, deps, [name], form) => {
      const f = form ?? new URLSearchParams();
      const typed = { user: f.get('user') ?? '', separator: f.get('separator') ?? '' };
      const separator = typed.separator.trim();
      return change(
        ctx,
        deps,
        name ?? '',
        { form: 'master', master: typed },
        () => setMaster(deps, actorOf(ctx, 'page'), name ?? '', { user: typed.user, password: f.get('password') ?? '', ...(separator !== '' ? { separator } : {}) }),
        'master-set',
      );
    },
  },
  {
    method: 'POST',
    path: /^\/backends\/([^/]+)\/master\/clear$/,
    run: (ctx, deps, [name]) => change(ctx, deps, name ?? '', { form: 'master-clear' }, () => clearMaster(deps, actorOf(ctx, 'page'), name ?? ''), 'master-cleared'),
  },
  {
    method: 'GET',
    path: /^\/backends\/([^/]+)\/delete$/,
    run: async (ctx, deps, [name]) => sendHtml(ctx.res, 200, deleteBackendPage(ctx.settings, who(ctx), await getBackendView(deps, name ?? ''))),
  },
  {
    method: 'POST',
    path: /^\/backends\/([^/]+)\/delete$/,
    run: async (ctx, deps, [name]) => {
      try {
        const removed = await removeBackend(deps, actorOf(ctx, 'page'), name ?? '');
        redirect(ctx.res, link(ctx.settings, `/backends?removed=${encodeURIComponent(removed)}`), { status: 303 });
      } catch (err) {
        const { status, problem } = pageProblem(err, { 'in-use': IN_USE_FIX });
        if (status === 404) throw err;
        sendHtml(ctx.res, status, deleteBackendPage(ctx.settings, who(ctx), await getBackendView(deps, name ?? ''), problem));
      }
    },
  },
];

export const backendsFeature: ConsoleFeature = { pages, api: backendApi, paths: backendPaths() };
