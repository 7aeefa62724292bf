/**
 * The Routes page: how routes apply (in the order src/store/reader.ts consults them), the form
 * to set one with the backend chosen from those that exist, and the routes most specific first
 * with a Remove button each. Every value goes through the escaping `html` tag.
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
  <td class="actions"><form method="post" action="${link(s, '/routes/remove')}" class="inline">${csrf}<input type="hidden" name="kind" value="${r.kind}"><input type="hidden" name="subject" value="${r.subject ?? ''}"><button type="submit" class="button danger" aria-label="Remove the route of ${r.description}">Remove</button></form></td>
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
