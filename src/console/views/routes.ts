/**
 * The Routes page: how routes apply (in the order src/store/reader.ts consults them), the form
 * to set one with the backend chosen from those that exist, and the routes most specific first
 * with a Remove link each, to a confirmation that says where their logins go afterwards. Every
 * value goes through the escaping `html` tag.
 */
import type { AdminSettings } from '../../admin/index.js';
import { html, type Html } from '../html.js';
import type { RouteView } from '../routes.js';
import { csrfField, layout, link, type PageFrame } from './layout.js';
import { flashBox, problemBox, selectField, submitButton, textField, type PageProblem } from './parts.js';

type Who = NonNullable<PageFrame['admin']>;

export interface RoutesForm {
  kind: string;
  subject: string;
  backend: string;
}

const KIND_LABELS: ReadonlyArray<readonly [string, string]> = [
  ['mailbox', 'One mailbox'],
  ['domain', 'A domain'],
  ['default', 'Default (every other mailbox)'],
  ['unknown', 'Unknown users (during a migration)'],
];

export function routesPage(s: AdminSettings, who: Who, routes: RouteView[], backends: Array<{ name: string; host: string }>, v: { flash?: string; problem?: PageProblem; form?: RoutesForm } = {}): Html {
  const csrf = csrfField(who.csrf);
  const hostOf = new Map(backends.map((b) => [b.name, b.host]));
  const typed = v.form;
  const rows = routes.map(
    (r) => html`<tr data-route="${r.kind}${r.subject ? `:${r.subject}` : ''}">
  <th scope="row">${r.description}</th>
  <td><code>${r.kind}</code></td>
  <td><strong>${r.backend}</strong>${hostOf.has(r.backend) ? html` <span class="muted">${hostOf.get(r.backend)}</span>` : ''}</td>
  <td class="actions"><a class="button danger" href="${removeLink(s, r)}" aria-label="Remove the route of ${r.description}">Remove…</a></td>
</tr>`,
  );
  const form =
    backends.length === 0
      ? html`<p class="empty">No backends yet: a route sends logins to a backend, so add one first (<a href="${link(s, '/backends')}">Backends</a>, or on the server: <code>postern backend add imap1 --host 10.0.0.11 --imap-port 143</code>).</p>`
      : html`<form method="post" action="${link(s, '/routes')}" class="stack">${csrf}
${selectField({ id: 'route-kind', name: 'kind', label: 'Applies to', options: KIND_LABELS, selected: typed?.kind ?? 'mailbox' })}
${textField({ id: 'route-subject', name: 'subject', label: 'Mailbox address or domain name', placeholder: 'alice@example.com or example.com', value: typed?.subject ?? '', required: false, invalid: typed !== undefined, hint: 'empty for the default route, and for unknown users of all domains' })}
${selectField({ id: 'route-backend', name: 'backend', label: 'Backend', options: backends.map((b) => [b.name, `${b.name} (${b.host})`] as const), selected: typed?.backend ?? '' })}
${submitButton('Set route')}</form>`;
  return layout(
    { settings: s, title: 'Routes', section: 'routes', admin: who },
    html`<div class="page-head"><h1>Routes</h1>
<p class="muted" data-role="precedence">A login goes to the backend of its mailbox's own route, else of its domain's route, else of the default route; a mailbox that none reaches gets a temporary failure. Users the directory does not know are refused, unless an unknown-user route for their domain (or the domain it is an alias of), or for all domains, sends them to another server.</p></div>
${flashBox(v.flash)}${problemBox(v.problem)}
<section class="card panel" aria-labelledby="set-route-title"><h2 id="set-route-title">Set a route</h2>
<p class="muted">Setting a route that exists already points it at the new backend.</p>
${form}</section>
<h2>Routes <span class="muted">(${routes.length})</span></h2>
${routes.length === 0
      ? html`<p class="empty">No routes yet: every login gets a temporary failure until a route reaches its mailbox. Start with a default route.</p>`
      : html`<div class="table-wrap"><table class="data">
<caption class="visually-hidden">Routes, most specific first</caption>
<thead><tr><th scope="col">Route</th><th scope="col">Kind</th><th scope="col">Backend</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${rows}</tbody></table></div>`}`,
  );
}

const removeLink = (s: AdminSettings, r: RouteView): string => link(s, `/routes/remove?${new URLSearchParams({ kind: r.kind, subject: r.subject ?? '' })}`);

/** Where the logins a route sends go once it is removed. */
function afterRemoval(r: RouteView, fallback: RouteView | null): Html {
  const to = (fb: RouteView) => html`go to backend <strong>${fb.backend}</strong> (the ${fb.description} route)`;
  switch (r.kind) {
    case 'mailbox':
      return html`Logins of ${r.subject ?? ''} then ${fallback ? to(fallback) : html`reach no backend: they <strong>fail temporarily</strong> until a route reaches the mailbox`}.`;
    case 'domain':
      return html`Mailboxes of ${r.subject ?? ''} without a route of their own then ${fallback ? to(fallback) : html`reach no backend: their logins <strong>fail temporarily</strong> until a route reaches them`}.`;
    case 'default':
      return html`Mailboxes without a mailbox or domain route then reach no backend: their logins <strong>fail temporarily</strong>.`;
    default:
      return r.subject === null
        ? html`Users the directory does not know, in domains without an unknown-user route of their own, are then <strong>refused</strong>.`
        : html`Users the directory does not know in ${r.subject} then ${fallback ? to(fallback) : html`are <strong>refused</strong>`}.`;
  }
}

/** The confirmation before a route is removed: what it is, and what its logins reach afterwards. */
export function removeRoutePage(s: AdminSettings, who: Who, r: RouteView, fallback: RouteView | null): Html {
  return layout(
    { settings: s, title: `Remove the route of ${r.description}`, section: 'routes', admin: who },
    html`<p class="crumbs"><a href="${link(s, '/routes')}">Routes</a> /</p>
<section class="card form-card" aria-labelledby="confirm-title"><h1 id="confirm-title">Remove the route of ${r.description}?</h1>
<p>It sends these logins to backend <strong>${r.backend}</strong>.</p>
<p data-role="after-removal">${afterRemoval(r, fallback)}</p>
<form method="post" action="${link(s, '/routes/remove')}" class="buttons">${csrfField(who.csrf)}<input type="hidden" name="kind" value="${r.kind}"><input type="hidden" name="subject" value="${r.subject ?? ''}">
<button type="submit" class="button danger">Remove the route</button> <a href="${link(s, '/routes')}">Cancel</a></form>
</section>`,
  );
}
