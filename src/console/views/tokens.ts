/**
 * The API tokens page (the signed-in admin's own: label, id, created, last used, state, with a
 * Revoke button for live ones and the form to create one), and the page that shows a new token:
 * the one place its value is ever shown, in the answer to the request that made it. Every value
 * goes through the escaping `html` tag.
 */
import type { AdminSettings } from '../../admin/index.js';
import { html, type Html } from '../html.js';
import type { TokenView } from '../tokens.js';
import { csrfField, layout, link, when, type PageFrame } from './layout.js';
import { flashBox, problemBox, submitButton, textField, type PageProblem } from './parts.js';

type Who = NonNullable<PageFrame['admin']>;

export function tokensPage(s: AdminSettings, who: Who, tokens: TokenView[], v: { flash?: string; problem?: PageProblem; label?: string } = {}): Html {
  const csrf = csrfField(who.csrf);
  const live = tokens.filter((t) => t.state === 'active').length;
  const rows = tokens.map(
    (t) => html`<tr data-token="${t.id}">
  <th scope="row">${t.label}</th>
  <td>${t.id}</td>
  <td>${when(t.createdAt)}</td>
  <td>${when(t.lastUsedAt)}</td>
  <td>${t.state === 'active' ? html`<span class="badge on" data-role="state">Active</span>` : html`<span class="badge off" data-role="state">Revoked</span>`}</td>
  <td class="actions">${t.state === 'active'
      ? html`<form method="post" action="${link(s, `/tokens/${t.id}/revoke`)}" class="inline">${csrf}<button type="submit" class="button danger" aria-label="Revoke the token ${t.label} (id ${t.id})">Revoke</button></form>`
      : ''}</td>
</tr>`,
  );
  return layout(
    { settings: s, title: 'API tokens', section: 'tokens', admin: who },
    html`<div class="page-head"><h1>Your API tokens</h1><p class="muted">For scripts: send <code>Authorization: Bearer &lt;token&gt;</code> to <code>${link(s, '/api/v1/')}</code> (described by <a href="${link(s, '/api/openapi.json')}">the OpenAPI document</a>). A token acts with your rights, as <strong>${who.name}</strong>, until you revoke it.</p></div>
${flashBox(v.flash)}${problemBox(v.problem)}
<section class="card panel" aria-labelledby="new-token-title"><h2 id="new-token-title">Create a token</h2>
<form method="post" action="${link(s, '/tokens')}" class="stack">${csrf}
${textField({ id: 'token-label', name: 'label', label: 'What will use it', placeholder: 'backup script', value: v.label ?? '', invalid: v.label !== undefined, hint: 'shown in this list and in the log; 1-64 characters' })}
${submitButton('Create token')}</form></section>
<h2>Tokens <span class="muted">(${live} active)</span></h2>
${tokens.length === 0
      ? html`<p class="empty">No API tokens yet.</p>`
      : html`<div class="table-wrap"><table class="data">
<caption class="visually-hidden">Your API tokens</caption>
<thead><tr><th scope="col">Label</th><th scope="col">Id</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${rows}</tbody></table></div>`}`,
  );
}

/** Shown once, in the answer to the request that created the token; never again. */
export function newTokenPage(s: AdminSettings, who: Who, t: TokenView & { token: string }): Html {
  return layout(
    { settings: s, title: 'New API token', section: 'tokens', admin: who },
    html`<div class="page-head"><h1>Your new API token</h1></div>
<p class="notice" role="status">Created token ${t.id}, “${t.label}”. <strong>Copy it now: you will not see it again.</strong> Postern keeps only its hash.</p>
<section class="card panel" aria-labelledby="token-title"><h2 id="token-title">Token</h2>
<p><code class="code" data-role="new-token">${t.token}</code></p>
<p class="muted">Use it as <code>curl -H "Authorization: Bearer $TOKEN" ${link(s, '/api/v1/session')}</code></p></section>
<p><a class="button primary" href="${link(s, '/tokens')}">I have stored it</a></p>`,
  );
}
