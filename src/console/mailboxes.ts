/**
 * Mailboxes in the console (issue 5, items 5 and 7): the list with a search and a domain
 * filter, adding one, a mailbox's own page with its forms (access, password, enable/disable,
 * clearing the reversible credential, delete after a confirmation), and the API beside them
 * (mailboxes-api.ts). Pages and API call the same operations (mailbox-ops.ts). After a change a
 * form redirects (303) with a flash; a refused form comes back with the error in its section
 * and what was typed, at the status the API gives for the same refusal.
 */
import { actorOf } from './actor.js';
import type { ConsoleDeps, Ctx } from './context.js';
import { formProblem } from './form-errors.js';
import { redirect, sendHtml } from './http-io.js';
import { problem, splitList, who, type ConsoleFeature, type PageRoute } from './kit.js';
import { addMailbox, changeMailbox, getMailboxDetail, listMailboxViews, removeMailbox, type MailboxEdit } from './mailbox-ops.js';
import { mailboxApi, mailboxPaths } from './mailboxes-api.js';
import type { MailboxView } from './service.js';
import { link } from './views/layout.js';
import { deleteMailboxPage, mailboxesPage, mailboxPage, mailboxPath, newMailboxPage, type MailboxForm, type MailboxPageView } from './views/mailboxes.js';
import type { PageProblem } from './views/parts.js';

/** The list page shows at most this many rows; the search narrows the rest. */
const LIST_LIMIT = 500;

const DONE: Record<string, string> = {
  added: 'Mailbox added.',
  saved: 'Access saved.',
  password: 'The new password is set.',
  enabled: 'The mailbox is enabled.',
  disabled: 'The mailbox is disabled.',
  'credential-cleared': 'The reversible credential is cleared: APOP and CRAM-MD5 logins stop working for this mailbox.',
};

function listFlash(q: URLSearchParams): string | undefined {
  const changed = q.get('changed');
  if (changed !== null) return `${changed} is now ${q.get('enabled') === '1' ? 'enabled' : 'disabled'}.`;
  const deleted = q.get('deleted');
  if (deleted !== null) return `Deleted mailbox ${deleted}.`;
  return undefined;
}

async function showList(ctx: Ctx, deps: ConsoleDeps): Promise<void> {
  const q = ctx.query.get('q') ?? '';
  const domain = ctx.query.get('domain') ?? '';
  const domains = (await deps.store.listDomains()).map((d) => d.name);
  let boxes: MailboxView[];
  let failed: PageProblem | undefined;
  try {
    boxes = await listMailboxViews(deps, { q, domain });
  } catch (err) {
    // An unknown domain in the filter: say so above an empty list rather than leave the page.
    failed = formProblem(err).problem;
    boxes = [];
  }
  const flash = listFlash(ctx.query);
  sendHtml(
    ctx.res,
    200,
    mailboxesPage(ctx.settings, who(ctx), { boxes: boxes.slice(0, LIST_LIMIT), matched: boxes.length, domains, q, domain, ...(flash ? { flash } : {}), ...(failed ? { problem: failed } : {}) }),
  );
}

const toMailbox = (ctx: Ctx, address: string, done: keyof typeof DONE) =>
  redirect(ctx.res, link(ctx.settings, `${mailboxPath(address)}?done=${done}`), { status: 303 });

async function showMailbox(ctx: Ctx, deps: ConsoleDeps, address: string, status = 200, failed?: MailboxPageView['failed']): Promise<void> {
  const done = status === 200 ? DONE[ctx.query.get('done') ?? ''] : undefined;
  const m = await getMailboxDetail(deps, address);
  sendHtml(ctx.res, status, mailboxPage(ctx.settings, who(ctx), { m, ...(done ? { flash: done } : {}), ...(failed ? { failed } : {}) }));
}

/** Runs one edit from a mailbox's page: on success back to its page with a flash, else the page with the problem in that form's section. */
async function edit(ctx: Ctx, deps: ConsoleDeps, address: string, form: MailboxForm, change: MailboxEdit, done: keyof typeof DONE, typed?: NonNullable<MailboxPageView['failed']>['settings']): Promise<void> {
  try {
    const m = await changeMailbox(deps, actorOf(ctx, 'page'), address, change);
    toMailbox(ctx, m.address, done);
  } catch (err) {
    const { status, problem: p } = formProblem(err);
    // The mailbox itself is gone: app.ts answers with the not-found page.
    if (status === 404) throw err;
    await showMailbox(ctx, deps, address, status, { form, problem: p, ...(typed ? { settings: typed } : {}) });
  }
}

const pages: readonly PageRoute[] = [
  { method: 'GET', path: /^\/mailboxes$/, run: (ctx, deps) => showList(ctx, deps) },
  { method: 'GET', path: /^\/mailboxes\/new$/, run: async (ctx) => sendHtml(ctx.res, 200, newMailboxPage(ctx.settings, who(ctx))) },
  {
    method: 'POST',
    path: /^\/mailboxes$/,
    run: async (ctx, deps, _p, form) => {
      const f = form ?? new URLSearchParams();
      const typed = { address: f.get('address') ?? '', protocols: f.getAll('protocols'), networks: f.get('networks') ?? '', enabled: f.get('enabled') === '1' };
      const password = f.get('password') ?? '';
      try {
        const m = await addMailbox(deps, actorOf(ctx, 'page'), {
          address: typed.address,
          // An empty field means no password logins, as in the API when "password" is left out.
          ...(password !== '' ? { password } : {}),
          protocols: typed.protocols,
          networks: splitList(typed.networks),
          enabled: typed.enabled,
        });
        toMailbox(ctx, m.address, 'added');
      } catch (err) {
        const { status, problem: p } = formProblem(err, { 'not-found': 'add the domain first on the Domains page, or use a served domain' });
        sendHtml(ctx.res, status, newMailboxPage(ctx.settings, who(ctx), { typed, problem: p }));
      }
    },
  },
  { method: 'GET', path: /^\/mailboxes\/([^/]+)$/, run: (ctx, deps, [address]) => showMailbox(ctx, deps, address ?? '') },
  {
    // The list's enable/disable buttons (their script calls PATCH instead) and the mailbox page's.
    method: 'POST',
    path: /^\/mailboxes\/([^/]+)\/state$/,
    run: async (ctx, deps, [address], form) => {
      const enabled = form?.get('enabled');
      if (enabled !== '0' && enabled !== '1') return problem(ctx, 400, { code: 'invalid-form', message: 'the form must say enabled=0 or enabled=1' });
      if (form?.get('return') === 'mailbox') return edit(ctx, deps, address ?? '', 'state', { enabled: enabled === '1' }, enabled === '1' ? 'enabled' : 'disabled');
      const m = await changeMailbox(deps, actorOf(ctx, 'page'), address ?? '', { enabled: enabled === '1' });
      redirect(ctx.res, link(ctx.settings, `/mailboxes?changed=${encodeURIComponent(m.address)}&enabled=${m.enabled ? 1 : 0}`), { status: 303 });
    },
  },
  {
    method: 'POST',
    path: /^\/mailboxes\/([^/]+)\/settings$/,
    run: async (ctx, deps, [address], form) => {
      const f = form ?? new URLSearchParams();
      const typed = { protocols: f.getAll('protocols'), networks: f.get('networks') ?? '', backendLogin: f.get('backendLogin') ?? '' };
      const login = typed.backendLogin.trim();
      await edit(ctx, deps, address ?? '', 'settings', { protocols: typed.protocols, networks: splitList(typed.networks), backendLogin: login === '' ? null : login }, 'saved', typed);
    },
  },
  {
    method: 'POST',
    path: /^\/mailboxes\/([^/]+)\/password$/,
    run: (ctx, deps, [address], form) => edit(ctx, deps, address ?? '', 'password', { password: form?.get('password') ?? '' }, 'password'),
  },
  {
    method: 'POST',
    path: /^\/mailboxes\/([^/]+)\/credential\/clear$/,
    run: (ctx, deps, [address]) => edit(ctx, deps, address ?? '', 'credential', { clearCredential: true }, 'credential-cleared'),
  },
  {
    method: 'GET',
    path: /^\/mailboxes\/([^/]+)\/delete$/,
    run: async (ctx, deps, [address]) => sendHtml(ctx.res, 200, deleteMailboxPage(ctx.settings, who(ctx), await getMailboxDetail(deps, address ?? ''))),
  },
  {
    method: 'POST',
    path: /^\/mailboxes\/([^/]+)\/delete$/,
    run: async (ctx, deps, [address]) => {
      const removed = await removeMailbox(deps, actorOf(ctx, 'page'), address ?? '');
      redirect(ctx.res, link(ctx.settings, `/mailboxes?deleted=${encodeURIComponent(removed)}`), { status: 303 });
    },
  },
];

export const mailboxesFeature: ConsoleFeature = { pages, api: mailboxApi, paths: mailboxPaths() };
