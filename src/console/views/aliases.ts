/**
 * The Aliases page: the form to add an alias, a filter by mailbox (a plain GET form, so the
 * filtered list has its own address), and the aliases with a Remove button each. Every value
 * goes through the escaping `html` tag.
 */
import type { AdminSettings } from '../../admin/index.js';
import type { AliasView } from '../aliases.js';
import { html, type Html } from '../html.js';
import { csrfField, layout, link, type PageFrame } from './layout.js';
import { flashBox, problemBox, submitButton, textField, type PageProblem } from './parts.js';

type Who = NonNullable<PageFrame['admin']>;

export interface AliasesForm {
  address: string;
  mailbox: string;
}

export function aliasesPage(s: AdminSettings, who: Who, aliases: AliasView[], v: { filter?: string; flash?: string; problem?: PageProblem; form?: AliasesForm } = {}): Html {
  const csrf = csrfField(who.csrf);
  const rows = aliases.map(
    (a) => html`<tr data-alias="${a.address}">
  <th scope="row">${a.address}</th>
  <td>${a.mailbox}</td>
  <td class="actions"><form method="post" action="${link(s, `/aliases/${encodeURIComponent(a.address)}/remove`)}" class="inline">${csrf}<button type="submit" class="button danger" aria-label="Remove the alias ${a.address}">Remove</button></form></td>
</tr>`,
  );
  const count = `${aliases.length} ${aliases.length === 1 ? 'alias' : 'aliases'}${v.filter ? ` of ${v.filter}` : ''}`;
  return layout(
    { settings: s, title: 'Aliases', section: 'aliases', admin: who },
    html`<div class="page-head"><h1>Aliases</h1><p class="muted">An alias is another address of a mailbox: logins with it open the mailbox, and mail to it arrives there.</p></div>
${flashBox(v.flash)}${problemBox(v.problem)}
<div class="grid">
<section class="card panel" aria-labelledby="add-alias-title"><h2 id="add-alias-title">Add an alias</h2>
<form method="post" action="${link(s, '/aliases')}" class="stack">${csrf}
${textField({ id: 'alias-address', name: 'address', label: 'Alias address', placeholder: 'info@example.com', value: v.form?.address ?? '', invalid: v.form !== undefined, hint: 'in a served domain, not a domain alias' })}
${textField({ id: 'alias-mailbox', name: 'mailbox', label: 'Mailbox', placeholder: 'alice@example.com', value: v.form?.mailbox ?? v.filter ?? '' })}
${submitButton('Add alias')}</form></section>
<section class="card panel" aria-labelledby="filter-title"><h2 id="filter-title">Show the aliases of one mailbox</h2>
<form method="get" action="${link(s, '/aliases')}" class="stack" role="search">
${textField({ id: 'filter-mailbox', name: 'mailbox', label: 'Mailbox address', placeholder: 'alice@example.com', value: v.filter ?? '', required: false })}
${submitButton('Filter', '')}</form>
${v.filter ? html`<p><a href="${link(s, '/aliases')}">Show every alias</a></p>` : ''}</section>
</div>
<h2>${v.filter ? html`Aliases of ${v.filter}` : 'Every alias'} <span class="muted">(${count})</span></h2>
${aliases.length === 0
      ? html`<p class="empty">${v.filter ? 'No aliases for this mailbox.' : html`No aliases yet. Add one above (or on the server: <code>postern alias add info@example.com alice@example.com</code>).`}</p>`
      : html`<div class="table-wrap"><table class="data">
<caption class="visually-hidden">Aliases</caption>
<thead><tr><th scope="col">Alias</th><th scope="col">Mailbox</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${rows}</tbody></table></div>`}`,
  );
}
