/**
 * The mailbox pages: the list (search, domain filter, enable/disable in place), the form to add
 * one, a mailbox's own page with everything the console may show about it and the forms that
 * change it, and the confirmation before deleting it. Never a hash or a secret: the password's
 * scheme, and whether a reversible credential is set. A form the directory refused comes back
 * with the error in its own section and what was typed (never a password). Every value goes
 * through the escaping `html` tag; every input has a label.
 */
import type { AdminSettings } from '../../admin/index.js';
import { PROTOCOLS } from '../../authhttp/types.js';
import { describeSecretStatus } from '../../directory/secret-status.js';
import { html, type Html } from '../html.js';
import type { MailboxDetail } from '../mailbox-ops.js';
import type { MailboxView } from '../service.js';
import { csrfField, layout, link, when, type PageFrame } from './layout.js';
import { flashBox, problemBox, textField, type PageProblem } from './parts.js';

type Who = NonNullable<PageFrame['admin']>;

const PROTOCOL_LABELS: Record<string, string> = { imap: 'IMAP', pop3: 'POP3', smtp: 'SMTP (submission)' };
export const mailboxPath = (address: string, rest = ''): string => `/mailboxes/${encodeURIComponent(address)}${rest}`;
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Protocol checkboxes in a fieldset; `checked` lists the ticked ones. */
function protocolBoxes(prefix: string, checked: readonly string[]): Html {
  return html`<fieldset class="choices"><legend>Protocols</legend>
${PROTOCOLS.map((p) => html`<label class="check" for="${prefix}-${p}"><input type="checkbox" id="${prefix}-${p}" name="protocols" value="${p}"${checked.includes(p) ? html` checked` : ''}> ${PROTOCOL_LABELS[p]}</label>`)}
</fieldset>`;
}

function passwordField(f: { id: string; label: string; hint: string; required: boolean }): Html {
  // Laid out as parts.ts textField; never given a value, so a refused form never echoes a password.
  return html`<div class="field"><label for="${f.id}">${f.label}</label>
<input id="${f.id}" name="password" type="password" autocomplete="new-password"${f.required ? html` required` : ''} aria-describedby="${f.id}-hint">
<span class="muted small" id="${f.id}-hint">${f.hint}</span></div>`;
}

const stateBadge = (enabled: boolean): Html => html`<span class="badge ${enabled ? 'on' : 'off'}" data-role="state">${enabled ? 'Enabled' : 'Disabled'}</span>`;

export interface MailboxListView {
  boxes: MailboxView[];
  /** How many matched before the page's cap. */
  matched: number;
  domains: string[];
  q: string;
  domain: string;
  flash?: string;
  problem?: PageProblem;
}

export function mailboxesPage(s: AdminSettings, who: Who, v: MailboxListView): Html {
  const rows = v.boxes.map((m) => {
    return html`<tr data-address="${m.address}">
  <th scope="row" class="address"><a href="${link(s, mailboxPath(m.address))}">${m.address}</a></th>
  <td>${stateBadge(m.enabled)}</td>
  <td>${m.protocols.join(', ')}</td>
  <td>${m.networks.length > 0 ? m.networks.join(', ') : html`<span class="muted">anywhere</span>`}</td>
  <td><code>${m.passwordScheme}</code></td>
  <td class="actions">
    <a href="${link(s, mailboxPath(m.address, '/app-passwords'))}" aria-label="App passwords of ${m.address}">App passwords</a>
    <form method="post" action="${link(s, mailboxPath(m.address, '/state'))}" data-api-patch="${encodeURIComponent(m.address)}">
      ${csrfField(who.csrf)}<input type="hidden" name="enabled" value="${m.enabled ? '0' : '1'}">
      <button type="submit" class="button ${m.enabled ? 'danger' : ''}" aria-label="${m.enabled ? 'Disable' : 'Enable'} ${m.address}">${m.enabled ? 'Disable' : 'Enable'}</button>
    </form>
  </td>
</tr>`;
  });
  const filtered = v.q !== '' || v.domain !== '';
  const count = filtered ? plural(v.matched, 'mailbox matches', 'mailboxes match') : plural(v.matched, 'mailbox', 'mailboxes');
  return layout(
    { settings: s, title: 'Mailboxes', section: 'mailboxes', admin: who },
    html`<div class="page-head split"><div><h1>Mailboxes</h1><p class="muted" data-role="count">${count}</p></div>
<a class="button primary" href="${link(s, '/mailboxes/new')}">Add mailbox</a></div>
${flashBox(v.flash)}${problemBox(v.problem)}
<form method="get" action="${link(s, '/mailboxes')}" role="search" class="toolbar" aria-label="Find mailboxes">
  <span class="field"><label for="q">Search addresses</label><input id="q" name="q" type="search" value="${v.q}" placeholder="alice" spellcheck="false" autocapitalize="none"></span>
  <span class="field"><label for="domain">Domain</label><select id="domain" name="domain"><option value="">All domains</option>${v.domains.map((d) => html`<option value="${d}"${d === v.domain ? html` selected` : ''}>${d}</option>`)}</select></span>
  <button type="submit" class="button">Search</button>${filtered ? html` <a href="${link(s, '/mailboxes')}">Show all</a>` : ''}
</form>
${v.boxes.length === 0
      ? html`<p class="empty">${filtered ? 'No mailbox matches.' : html`No mailboxes yet. <a href="${link(s, '/mailboxes/new')}">Add the first one</a> (or on the server: <code>postern mailbox add alice@example.com</code>).`}</p>`
      : html`<div class="table-wrap"><table class="data">
<caption class="visually-hidden">Mailboxes</caption>
<thead><tr><th scope="col">Address</th><th scope="col">Status</th><th scope="col">Protocols</th><th scope="col">Client networks</th><th scope="col">Password</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${rows}</tbody></table></div>
${v.matched > v.boxes.length ? html`<p class="hint">Showing the first ${v.boxes.length} of ${v.matched}: search to narrow the list.</p>` : ''}`}`,
  );
}

/** What was typed into the add form, shown again when the directory refused it (never the password). */
export interface NewMailboxTyped {
  address: string;
  protocols: string[];
  networks: string;
  enabled: boolean;
}

export function newMailboxPage(s: AdminSettings, who: Who, v: { typed?: NewMailboxTyped; problem?: PageProblem } = {}): Html {
  const t = v.typed ?? { address: '', protocols: [...PROTOCOLS], networks: '', enabled: true };
  return layout(
    { settings: s, title: 'Add mailbox', section: 'mailboxes', admin: who },
    html`<p class="crumbs"><a href="${link(s, '/mailboxes')}">Mailboxes</a> /</p>
<section class="card form-card" aria-labelledby="add-title"><h1 id="add-title">Add mailbox</h1>
${problemBox(v.problem)}
<form method="post" action="${link(s, '/mailboxes')}" class="stack">${csrfField(who.csrf)}
${textField({ id: 'address', name: 'address', label: 'Address', placeholder: 'alice@example.com', value: t.address, hint: 'in a domain Postern serves', invalid: v.problem !== undefined })}
${passwordField({ id: 'password', label: 'Password (optional)', hint: 'Stored as an argon2id hash and never shown again. Leave it empty for a mailbox without password logins.', required: false })}
${protocolBoxes('new', t.protocols)}
${textField({ id: 'networks', name: 'networks', label: 'Client networks (optional)', placeholder: '192.0.2.0/24, 2001:db8::/32', value: t.networks, hint: 'IP addresses or CIDR networks, separated by commas; empty: from anywhere', required: false })}
<label class="check" for="enabled"><input type="checkbox" id="enabled" name="enabled" value="1"${t.enabled ? html` checked` : ''}> Enabled (can log in)</label>
<div class="buttons"><button type="submit" class="button primary">Add mailbox</button> <a href="${link(s, '/mailboxes')}">Cancel</a></div>
</form></section>`,
  );
}

/** The forms of a mailbox's page; the one named in `failed` shows the problem and what was typed. */
export type MailboxForm = 'settings' | 'password' | 'state' | 'credential';

export interface MailboxPageView {
  m: MailboxDetail;
  flash?: string;
  failed?: { form: MailboxForm; problem: PageProblem; settings?: { protocols: string[]; networks: string; backendLogin: string } };
}

export function mailboxPage(s: AdminSettings, who: Who, v: MailboxPageView): Html {
  const { m } = v;
  const csrf = csrfField(who.csrf);
  const problemFor = (form: MailboxForm) => (v.failed?.form === form ? problemBox(v.failed.problem) : '');
  const typed = v.failed?.settings ?? { protocols: m.protocols, networks: m.networks.join(', '), backendLogin: m.backendLogin ?? '' };
  const credential = m.credential.state === 'not-set' ? 'not set' : describeSecretStatus(m.credential, 'clear it below, or set it again on the server');
  const route = m.route
    ? html`backend <strong>${m.route.backend}</strong> <span class="muted">(${m.route.kind === 'default' ? 'the default route' : `the ${m.route.kind} route of ${m.route.subject ?? ''}`})</span>`
    : html`<span class="badge error">no route</span> logins get a temporary failure until a route matches (Routes page)`;
  const row = (label: string, value: Html | string, role?: string) => html`<tr><th scope="row">${label}</th><td${role ? html` data-role="${role}"` : ''}>${value}</td></tr>`;
  return layout(
    { settings: s, title: m.address, section: 'mailboxes', admin: who },
    html`<p class="crumbs"><a href="${link(s, '/mailboxes')}">Mailboxes</a> /</p>
<div class="page-head split"><div><h1>${m.address}</h1><p>${stateBadge(m.enabled)}</p></div>
<a class="button" href="${link(s, mailboxPath(m.address, '/app-passwords'))}">App passwords</a></div>
${flashBox(v.flash)}
<div class="grid cards">
<section aria-labelledby="summary-title"><h2 id="summary-title">Summary</h2><table class="kv">
${row('Status', m.enabled ? 'enabled: can log in' : 'disabled: every login is refused', 'state')}
${row('Protocols', m.protocols.join(', '), 'protocols')}
${row('Client networks', m.networks.length > 0 ? m.networks.join(', ') : 'anywhere', 'networks')}
${row('Password', m.passwordScheme === 'none' ? 'none (no password logins)' : html`<code>${m.passwordScheme}</code> hash`, 'password')}
${row('APOP / CRAM-MD5 credential', credential, 'credential')}
${row('Backend login', m.backendLogin === null ? 'the address' : html`<code>${m.backendLogin}</code>`, 'backend-login')}
${row('Route', route, 'route')}
${row('Logs in to the backend as', html`IMAP/POP3 <code>${m.loginAtBackend.imapPop3}</code>, SMTP <code>${m.loginAtBackend.smtp}</code>`, 'login-at-backend')}
${row('Aliases', m.aliases.length > 0 ? m.aliases.join(', ') : 'none', 'aliases')}
${row('Created', when(m.createdAt))}
${row('Updated', when(m.updatedAt))}
</table></section>
<section class="card" aria-labelledby="settings-title"><h2 id="settings-title">Access</h2>
${problemFor('settings')}
<form method="post" action="${link(s, mailboxPath(m.address, '/settings'))}" class="stack">${csrf}
${protocolBoxes('edit', typed.protocols)}
${textField({ id: 'edit-networks', name: 'networks', label: 'Client networks', value: typed.networks, placeholder: '192.0.2.0/24', hint: 'separated by commas; empty: from anywhere', required: false })}
${textField({ id: 'edit-backend-login', name: 'backendLogin', label: 'Backend login', value: typed.backendLogin, placeholder: m.address, hint: 'the name the backend knows this mailbox by; empty: the address', required: false })}
<div class="buttons"><button type="submit" class="button primary">Save access</button></div>
</form></section>
</div>
<div class="grid cards">
<section class="card" aria-labelledby="password-title"><h2 id="password-title">Password</h2>
${problemFor('password')}
<form method="post" action="${link(s, mailboxPath(m.address, '/password'))}" class="stack">${csrf}
${passwordField({ id: 'new-password', label: 'New password', hint: 'Replaces the current one; stored as an argon2id hash and never shown.', required: true })}
<div class="buttons"><button type="submit" class="button primary">Set password</button></div>
</form></section>
<section class="card" aria-labelledby="state-title"><h2 id="state-title">Logins</h2>
${problemFor('state')}
<p>${m.enabled ? 'Disabling refuses every login of this mailbox and its aliases (after the password check, so nothing is revealed).' : 'This mailbox is disabled: every login is refused.'}</p>
<form method="post" action="${link(s, mailboxPath(m.address, '/state'))}">${csrf}<input type="hidden" name="enabled" value="${m.enabled ? '0' : '1'}"><input type="hidden" name="return" value="mailbox">
<button type="submit" class="button ${m.enabled ? 'danger' : 'primary'}">${m.enabled ? 'Disable mailbox' : 'Enable mailbox'}</button></form>
</section>
<section class="card" aria-labelledby="credential-title"><h2 id="credential-title">APOP and CRAM-MD5</h2>
${problemFor('credential')}
${m.credential.state === 'not-set'
      ? html`<p>No reversible credential is set, so APOP and CRAM-MD5 logins are refused. Set one on the server: <code>postern mailbox secret set ${m.address}</code>.</p>`
      : html`<p>A reversible credential is ${m.credential.state === 'set' ? html`set, encrypted with vault key <code>${m.credential.keyId ?? '?'}</code>` : html`stored but <strong>UNREADABLE</strong> (key <code>${m.credential.keyId ?? '?'}</code>)`}. Its value is never shown.</p>
<form method="post" action="${link(s, mailboxPath(m.address, '/credential/clear'))}">${csrf}<button type="submit" class="button danger">Clear the reversible credential</button></form>`}
</section>
<section class="card" aria-labelledby="delete-title"><h2 id="delete-title">Delete</h2>
<p>Removes the mailbox with its aliases, route, certificate mappings and app passwords. Mail on the backend is not touched.</p>
<a class="button danger" href="${link(s, mailboxPath(m.address, '/delete'))}">Delete mailbox…</a>
</section>
</div>`,
  );
}

export function deleteMailboxPage(s: AdminSettings, who: Who, m: MailboxDetail, problem?: PageProblem): Html {
  return layout(
    { settings: s, title: `Delete ${m.address}`, section: 'mailboxes', admin: who },
    html`<p class="crumbs"><a href="${link(s, '/mailboxes')}">Mailboxes</a> / <a href="${link(s, mailboxPath(m.address))}">${m.address}</a> /</p>
<section class="card form-card" aria-labelledby="confirm-title"><h1 id="confirm-title">Delete ${m.address}?</h1>
${problemBox(problem)}
<p>This cannot be undone. Logins to this address stop at once; removed with it:</p>
<ul>
<li>${m.aliases.length === 0 ? 'no aliases' : html`${plural(m.aliases.length, 'alias', 'aliases')}: ${m.aliases.join(', ')}`}</li>
<li>${m.route?.kind === 'mailbox' ? html`its own route to backend ${m.route.backend}` : 'no route of its own'}</li>
<li>its certificate mappings and app passwords, if any</li>
</ul>
<p class="muted">Mail stored on the backend is not deleted.</p>
<form method="post" action="${link(s, mailboxPath(m.address, '/delete'))}" class="buttons">${csrfField(who.csrf)}
<button type="submit" class="button danger">Delete ${m.address}</button> <a href="${link(s, mailboxPath(m.address))}">Cancel</a></form>
</section>`,
  );
}
