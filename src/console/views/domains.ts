/**
 * The Domains page: the forms to add a domain and a domain alias first (so the keyboard reaches
 * them right after the navigation), then every domain with its aliases, its mailbox and alias
 * counts and the buttons to remove them. Every value goes through the escaping `html` tag.
 */
import type { AdminSettings } from '../../admin/index.js';
import type { DomainView } from '../domains.js';
import { html, type Html } from '../html.js';
import { csrfField, layout, link, when, type PageFrame } from './layout.js';
import { flashBox, problemBox, selectField, submitButton, textField, type PageProblem } from './parts.js';

type Who = NonNullable<PageFrame['admin']>;

/** What was typed into a form the directory refused, to show it again. */
export type DomainsForm = { which: 'domain'; name: string } | { which: 'alias'; alias: string; domain: string };

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function domainsPage(s: AdminSettings, who: Who, domains: DomainView[], v: { flash?: string; problem?: PageProblem; form?: DomainsForm } = {}): Html {
  const typed = v.form;
  const csrf = csrfField(who.csrf);
  const remove = (path: string, label: string): Html =>
    html`<form method="post" action="${link(s, path)}" class="inline">${csrf}<button type="submit" class="button danger" aria-label="${label}">Remove</button></form>`;
  const rows = domains.map(
    (d) => html`<tr data-domain="${d.name}">
  <th scope="row">${d.name}</th>
  <td>${d.aliases.length === 0
      ? html`<span class="muted">none</span>`
      : d.aliases.map((a) => html`<div data-alias="${a}"><code>${a}</code> ${remove(`/domain-aliases/${encodeURIComponent(a)}/remove`, `Remove the domain alias ${a}`)}</div>`)}</td>
  <td data-role="mailboxes">${d.mailboxes}</td>
  <td data-role="aliases">${d.addressAliases}</td>
  <td>${when(d.createdAt)}</td>
  <td class="actions">${remove(`/domains/${encodeURIComponent(d.name)}/remove`, `Remove the domain ${d.name}`)}</td>
</tr>`,
  );
  const chosen = typed?.which === 'alias' ? typed.domain.trim().toLowerCase() : '';
  return layout(
    { settings: s, title: 'Domains', section: 'domains', admin: who },
    html`<div class="page-head"><h1>Domains</h1><p class="muted">${plural(domains.length, 'domain', 'domains')} served. A domain alias is another name for a domain: <code>alice@example.net</code> logs in as, and gets the mail of, <code>alice@example.com</code>.</p></div>
${flashBox(v.flash)}${problemBox(v.problem)}
<div class="grid">
<section class="card panel" aria-labelledby="add-domain-title"><h2 id="add-domain-title">Add a domain</h2>
<form method="post" action="${link(s, '/domains')}" class="stack">${csrf}
${textField({ id: 'domain-name', name: 'name', label: 'Domain name', placeholder: 'example.com', value: typed?.which === 'domain' ? typed.name : '', invalid: typed?.which === 'domain' })}
${submitButton('Add domain')}</form></section>
${domains.length === 0
      ? ''
      : html`<section class="card panel" aria-labelledby="add-alias-title"><h2 id="add-alias-title">Add a domain alias</h2>
<form method="post" action="${link(s, '/domain-aliases')}" class="stack">${csrf}
${textField({ id: 'alias-name', name: 'alias', label: 'Alias name', placeholder: 'example.net', value: typed?.which === 'alias' ? typed.alias : '', invalid: typed?.which === 'alias' })}
${selectField({ id: 'alias-domain', name: 'domain', label: 'Another name for', options: domains.map((d) => [d.name, d.name] as const), selected: chosen })}
${submitButton('Add domain alias')}</form></section>`}
</div>
<h2>Served domains</h2>
${domains.length === 0
      ? html`<p class="empty">No domains yet. Add the first one above (or on the server: <code>postern domain add example.com</code>); mailboxes and aliases live in a domain.</p>`
      : html`<div class="table-wrap"><table class="data">
<caption class="visually-hidden">Served domains</caption>
<thead><tr><th scope="col">Domain</th><th scope="col">Domain aliases</th><th scope="col">Mailboxes</th><th scope="col">Aliases</th><th scope="col">Added</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${rows}</tbody></table></div>
<p class="hint">A domain can be removed once no mailbox or alias lives in it; its domain aliases and routes go with it.</p>`}`,
  );
}
