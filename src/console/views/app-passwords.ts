/**
 * The app passwords page of one mailbox: a new password shown once (when the page is reached
 * right after creating it), the form to create one, and the mailbox's app passwords with their
 * scope, dates, state and a Revoke button. Every value goes through the escaping `html` tag.
 */
import type { AdminSettings } from '../../admin/index.js';
import { describeScope, type AppPasswordView } from '../../app-passwords/index.js';
import { PROTOCOLS } from '../../authhttp/types.js';
import { html, type Html } from '../html.js';
import { csrfField, layout, link, when, type PageFrame } from './layout.js';
import { flashBox, problemBox, textField, type PageProblem } from './parts.js';

type Who = NonNullable<PageFrame['admin']>;

/** What was typed into a form the directory refused, to show it again. */
export interface AppPasswordForm {
  label: string;
  protocols: string[];
  networks: string;
  expires: string;
}

export interface NewlyCreated {
  password: string;
  label: string;
}

const PROTOCOL_NAMES: Record<string, string> = { imap: 'IMAP', pop3: 'POP3', smtp: 'SMTP (submission)' };
const STATE_BADGE: Record<AppPasswordView['state'], string> = { active: 'on', expired: 'warning', revoked: 'off' };

export function appPasswordsPage(
  s: AdminSettings,
  who: Who,
  mailbox: { address: string; protocols: string[] },
  list: AppPasswordView[],
  v: { created?: NewlyCreated; flash?: string; problem?: PageProblem; form?: AppPasswordForm } = {},
): Html {
  const base = `/mailboxes/${encodeURIComponent(mailbox.address)}/app-passwords`;
  const csrf = csrfField(who.csrf);
  const typed = v.form;
  const checked = (p: string) => (typed ? typed.protocols.includes(p) : true);
  const notAllowed = PROTOCOLS.filter((p) => !mailbox.protocols.includes(p));
  const rows = list.map(
    (a) => html`<tr data-app-password="${a.id}">
  <th scope="row" class="label">${a.label}</th>
  <td>${describeScope(a)}</td>
  <td>${when(a.createdAt)}</td>
  <td>${a.expiresAt === null ? html`<span class="muted">never</span>` : when(a.expiresAt)}</td>
  <td data-role="last-used">${when(a.lastUsedAt)}</td>
  <td><span class="badge ${STATE_BADGE[a.state]}" data-role="state">${a.state}</span>${a.revokedAt ? html` <span class="muted">${when(a.revokedAt)}</span>` : ''}</td>
  <td class="actions">${a.state === 'revoked'
      ? ''
      : html`<form method="post" action="${link(s, `${base}/${a.id}/revoke`)}" class="inline">${csrf}<button type="submit" class="button danger" aria-label="Revoke the app password ${a.label}">Revoke</button></form>`}</td>
</tr>`,
  );
  return layout(
    { settings: s, title: `App passwords of ${mailbox.address}`, section: 'mailboxes', admin: who },
    html`<div class="page-head"><p><a href="${link(s, '/mailboxes')}">Mailboxes</a></p><h1>App passwords of ${mailbox.address}</h1>
<p class="muted">An app password lets one mail client log in as this mailbox without its password: only with the protocols and from the networks you choose, until it expires or is revoked. Postern generates it, shows it once and keeps only a hash of it.</p></div>
${v.created ? createdPanel(v.created) : ''}
${flashBox(v.flash)}${problemBox(v.problem)}
<h2 id="create-title">Create an app password</h2>
<section class="card" aria-labelledby="create-title">
<form method="post" action="${link(s, base)}" class="stack">${csrf}
${textField({ id: 'ap-label', name: 'label', label: 'Label', placeholder: "alice's phone", value: typed?.label ?? '', hint: 'What will use it: shown in this list and in the log of every login made with it.', invalid: !!v.problem })}
<fieldset><legend>Protocols</legend>
${mailbox.protocols.map((p) => html`<label><input type="checkbox" name="protocol" value="${p}"${checked(p) ? html` checked` : ''}> ${PROTOCOL_NAMES[p] ?? p}</label> `)}
${notAllowed.length > 0 ? html`<p class="muted">Not offered: ${notAllowed.join(', ')} (not enabled for this mailbox).</p>` : ''}
</fieldset>
${textField({ id: 'ap-networks', name: 'networks', label: 'Client networks (optional)', placeholder: '192.0.2.0/24, 2001:db8::/32', value: typed?.networks ?? '', required: false, hint: 'Comma-separated addresses or CIDR networks the client must come from; empty: anywhere the mailbox allows.' })}
${textField({ id: 'ap-expires', name: 'expires', label: 'Expires (optional)', placeholder: 'never', value: typed?.expires ?? '', required: false, hint: 'A date such as 2027-01-01 (00:00 UTC), a number of days such as 90d, or empty for never.' })}
<button type="submit" class="button primary">Create app password</button></form></section>
<h2>App passwords</h2>
${list.length === 0
      ? html`<p class="empty" data-role="no-app-passwords">This mailbox has no app passwords.</p>`
      : html`<div class="table-wrap"><table class="data">
<caption class="visually-hidden">App passwords of ${mailbox.address}</caption>
<thead><tr><th scope="col">Label</th><th scope="col">Scope</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${rows}</tbody></table></div>
<p class="hint">Revoking takes effect on the next login. "Last used" is updated at most once a minute.</p>`}`,
  );
}

function createdPanel(c: NewlyCreated): Html {
  return html`<section class="notice" aria-labelledby="new-title" data-role="new-app-password-panel">
<h2 id="new-title">New app password for ${c.label}</h2>
<p class="recovery-codes"><code class="code" data-role="new-app-password" tabindex="0">${c.password}</code></p>
<p role="alert"><strong>Copy it now</strong> (select it, then Ctrl+C or ⌘C) into the mail client's password field: <strong>you will not see it again.</strong> Postern keeps only a hash of it.</p>
<p class="muted">Case, dashes and spaces do not matter when it is typed. If it gets lost, revoke it and create another.</p>
</section>`;
}
