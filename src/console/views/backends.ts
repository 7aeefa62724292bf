/**
 * The backend pages: the list (host, ports, master login with whether its password is set, under
 * which key, or UNREADABLE; how many routes use it), the form to add one, a backend's own page
 * with its forms (host and ports, master login set or cleared), and the confirmation before
 * removing it. The master password is an input of type password and is never shown, not even
 * its length. Every value goes through the escaping `html` tag; every input has a label.
 */
import type { AdminSettings } from '../../admin/index.js';
import type { SecretStatus } from '../../directory/secret-status.js';
import { describeSecretStatus } from '../../directory/secret-status.js';
import type { BackendPorts } from '../../directory/types.js';
import type { BackendView } from '../backend-ops.js';
import { html, type Html } from '../html.js';
import { csrfField, layout, link, when, type PageFrame } from './layout.js';
import { flashBox, problemBox, textField, type PageProblem } from './parts.js';

type Who = NonNullable<PageFrame['admin']>;

export const backendPath = (name: string, rest = ''): string => `/backends/${encodeURIComponent(name)}${rest}`;
const PORT_LABELS: Record<keyof BackendPorts, string> = { imap: 'IMAP port', pop3: 'POP3 port', smtp: 'SMTP submission port', mx: 'MX port (inbound mail)' };
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const port = (p: number | null): Html => (p === null ? html`<span class="muted">–</span>` : html`${p}`);

/** The master password's state as a badge: never the value. */
function passwordBadge(p: SecretStatus): Html {
  if (p.state === 'set') return html`<span class="badge on" data-role="master-password">password set · key ${p.keyId ?? '?'}</span>`;
  if (p.state === 'unreadable') return html`<span class="badge error" data-role="master-password">UNREADABLE · key ${p.keyId ?? '?'}</span>`;
  return html`<span class="badge error" data-role="master-password">no password</span>`;
}

const masterCell = (b: BackendView): Html =>
  b.master === null ? html`<span class="muted">none</span>` : html`<code>${b.master.user}</code> ${passwordBadge(b.master.password)}`;

const describeRoute = (r: BackendView['routes'][number]): string =>
  r.kind === 'default' ? 'the default route' : r.kind === 'unknown' ? `unknown users${r.subject ? ` of ${r.subject}` : ''}` : `${r.kind} ${r.subject ?? ''}`;

export function backendsPage(s: AdminSettings, who: Who, backends: BackendView[], flash?: string): Html {
  const rows = backends.map(
    (b) => html`<tr data-backend="${b.name}">
  <th scope="row"><a href="${link(s, backendPath(b.name))}">${b.name}</a></th>
  <td><code>${b.host}</code></td>
  <td>${port(b.ports.imap)}</td><td>${port(b.ports.pop3)}</td><td>${port(b.ports.smtp)}</td><td>${port(b.ports.mx)}</td>
  <td data-role="master">${masterCell(b)}</td>
  <td data-role="routes">${b.routes.length}</td>
</tr>`,
  );
  return layout(
    { settings: s, title: 'Backends', section: 'backends', admin: who },
    html`<div class="page-head split"><div><h1>Backends</h1><p class="muted">${plural(backends.length, 'backend', 'backends')}: the mail servers logins are routed to.</p></div>
<a class="button primary" href="${link(s, '/backends/new')}">Add backend</a></div>
${flashBox(flash)}
${backends.length === 0
      ? html`<p class="empty">No backends yet. <a href="${link(s, '/backends/new')}">Add the first one</a>, then route logins to it (Routes page).</p>`
      : html`<div class="table-wrap"><table class="data">
<caption class="visually-hidden">Backends</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Host</th><th scope="col">IMAP</th><th scope="col">POP3</th><th scope="col">SMTP</th><th scope="col">MX</th><th scope="col">Master login</th><th scope="col">Routes</th></tr></thead>
<tbody>${rows}</tbody></table></div>`}`,
  );
}

/** Host and port fields as typed (ports as text: an empty field is "not served"). */
export interface HostPortsTyped {
  host: string;
  ports: Record<keyof BackendPorts, string>;
}

function hostPortFields(prefix: string, t: HostPortsTyped): Html {
  return html`${textField({ id: `${prefix}-host`, name: 'host', label: 'Host', value: t.host, placeholder: '10.0.0.5 or imap1.internal', hint: 'an IP address or a host name (Postern resolves names; nginx takes only addresses)' })}
<fieldset class="ports"><legend>Ports <span class="muted">(empty: not served)</span></legend>
${(Object.keys(PORT_LABELS) as Array<keyof BackendPorts>).map(
  (p) => html`<span class="field"><label for="${prefix}-${p}">${PORT_LABELS[p]}</label><input id="${prefix}-${p}" name="${p}" type="text" inputmode="numeric" pattern="[0-9]*" size="6" value="${t.ports[p]}" autocomplete="off"></span>`,
)}
</fieldset>`;
}

export function newBackendPage(s: AdminSettings, who: Who, v: { typed?: { name: string } & HostPortsTyped; problem?: PageProblem } = {}): Html {
  const t = v.typed ?? { name: '', host: '', ports: { imap: '143', pop3: '', smtp: '', mx: '' } };
  return layout(
    { settings: s, title: 'Add backend', section: 'backends', admin: who },
    html`<p class="crumbs"><a href="${link(s, '/backends')}">Backends</a> /</p>
<section class="card form-card" aria-labelledby="add-title"><h1 id="add-title">Add backend</h1>
${problemBox(v.problem)}
<form method="post" action="${link(s, '/backends')}" class="stack">${csrfField(who.csrf)}
${textField({ id: 'name', name: 'name', label: 'Name', value: t.name, placeholder: 'imap1', hint: 'letters, digits, ".", "_" or "-"', invalid: v.problem !== undefined })}
${hostPortFields('new', t)}
<div class="buttons"><button type="submit" class="button primary">Add backend</button> <a href="${link(s, '/backends')}">Cancel</a></div>
</form></section>`,
  );
}

export type BackendForm = 'settings' | 'master' | 'master-clear';

export interface BackendPageView {
  b: BackendView;
  /** false: the vault is off, so a master password cannot be stored. */
  vault: boolean;
  flash?: string;
  failed?: { form: BackendForm; problem: PageProblem; hostPorts?: HostPortsTyped; master?: { user: string; separator: string } };
}

export function backendPage(s: AdminSettings, who: Who, v: BackendPageView): Html {
  const { b } = v;
  const csrf = csrfField(who.csrf);
  const problemFor = (form: BackendForm) => (v.failed?.form === form ? problemBox(v.failed.problem) : '');
  const portsText = (p: number | null) => (p === null ? '' : String(p));
  const hp = v.failed?.hostPorts ?? { host: b.host, ports: { imap: portsText(b.ports.imap), pop3: portsText(b.ports.pop3), smtp: portsText(b.ports.smtp), mx: portsText(b.ports.mx) } };
  const typedMaster = v.failed?.master ?? { user: b.master?.user ?? '', separator: b.master?.separator ?? '*' };
  const row = (label: string, value: Html | string, role?: string) => html`<tr><th scope="row">${label}</th><td${role ? html` data-role="${role}"` : ''}>${value}</td></tr>`;
  // A readable password needs only its badge; an unreadable or missing one also says why and what to do.
  const master = b.master
    ? html`<code>${b.master.user}</code> ${passwordBadge(b.master.password)}<br><span class="muted">IMAP/POP3 logins as <code>&lt;backend login&gt;${b.master.separator}${b.master.user}</code></span>${
        b.master.password.state === 'set' ? '' : html`<br>${b.master.password.state === 'not-set' ? 'no master password (it was reset): IMAP/POP3 logins to this backend fail temporarily until it is set again below' : describeSecretStatus(b.master.password, 'set it again below or clear the master login')}`
      }`
    : 'none: nginx logs in to IMAP/POP3 as the user';
  return layout(
    { settings: s, title: `Backend ${b.name}`, section: 'backends', admin: who },
    html`<p class="crumbs"><a href="${link(s, '/backends')}">Backends</a> /</p>
<div class="page-head"><h1>${b.name}</h1><p class="muted"><code>${b.host}</code></p></div>
${flashBox(v.flash)}
<div class="grid cards">
<section aria-labelledby="summary-title"><h2 id="summary-title">Summary</h2><table class="kv">
${row('Host', html`<code>${b.host}</code>`, 'host')}
${row('Ports', html`IMAP ${port(b.ports.imap)}, POP3 ${port(b.ports.pop3)}, SMTP ${port(b.ports.smtp)}, MX ${port(b.ports.mx)}${b.ports.mx === null && b.ports.smtp !== null ? html` <span class="muted">(MX uses the SMTP port)</span>` : ''}`, 'ports')}
${row('Master login', master, 'master')}
${row('Master login changed', b.master ? when(b.master.password.changedAt) : 'never')}
${row('Routes', b.routes.length === 0 ? 'none' : b.routes.map(describeRoute).join('; '), 'routes')}
</table></section>
<section class="card" aria-labelledby="settings-title"><h2 id="settings-title">Host and ports</h2>
${problemFor('settings')}
<form method="post" action="${link(s, backendPath(b.name, '/settings'))}" class="stack">${csrf}
${hostPortFields('edit', hp)}
<div class="buttons"><button type="submit" class="button primary">Save host and ports</button></div>
</form></section>
</div>
<div class="grid cards">
<section class="card" aria-labelledby="master-title"><h2 id="master-title">Master login</h2>
<p class="muted">A Dovecot master user: nginx then logs in to IMAP and POP3 as <code>&lt;backend login&gt;*&lt;master user&gt;</code> with the master password, so the backend needs no user passwords. The password is encrypted in Postern's vault and never shown.</p>
${problemFor('master')}
${v.vault
      ? html`<form method="post" action="${link(s, backendPath(b.name, '/master'))}" class="stack">${csrf}
${textField({ id: 'master-user', name: 'user', label: 'Master user', value: typedMaster.user, placeholder: 'postern', hint: 'as the backend knows it' })}
<div class="field"><label for="master-password">Master password</label>
<input id="master-password" name="password" type="password" autocomplete="new-password" required aria-describedby="master-password-hint">
<span class="muted small" id="master-password-hint">encrypted with the vault's active key; never shown again</span></div>
${textField({ id: 'master-separator', name: 'separator', label: 'Separator', value: typedMaster.separator, hint: "Dovecot's auth_master_user_separator" })}
<div class="buttons"><button type="submit" class="button primary">${b.master ? 'Replace master login' : 'Set master login'}</button></div>
</form>`
      : problemBox({ code: 'vault-off', message: html`Postern's vault is off (no <code>[vault] keys</code>), so a master password cannot be stored. An operator must configure a key and restart Postern.` })}
${b.master
      ? html`${problemFor('master-clear')}<form method="post" action="${link(s, backendPath(b.name, '/master/clear'))}" class="buttons">${csrf}<button type="submit" class="button danger">Clear master login</button></form>`
      : ''}
</section>
<section class="card" aria-labelledby="remove-title"><h2 id="remove-title">Remove</h2>
<p>${b.routes.length === 0 ? 'No route uses this backend.' : html`${plural(b.routes.length, 'route uses', 'routes use')} this backend: point ${b.routes.length === 1 ? 'it' : 'them'} elsewhere first.`}</p>
<a class="button danger" href="${link(s, backendPath(b.name, '/delete'))}">Remove backend…</a>
</section>
</div>`,
  );
}

export function deleteBackendPage(s: AdminSettings, who: Who, b: BackendView, problem?: PageProblem): Html {
  return layout(
    { settings: s, title: `Remove backend ${b.name}`, section: 'backends', admin: who },
    html`<p class="crumbs"><a href="${link(s, '/backends')}">Backends</a> / <a href="${link(s, backendPath(b.name))}">${b.name}</a> /</p>
<section class="card form-card" aria-labelledby="confirm-title"><h1 id="confirm-title">Remove backend ${b.name}?</h1>
${problemBox(problem)}
${b.routes.length === 0
      ? html`<p>No route sends logins to it. Its master login is removed with it.</p>`
      : html`<p>It is still used by ${b.routes.map(describeRoute).join('; ')}: Postern refuses to remove it until they point at another backend (Routes page).</p>`}
<form method="post" action="${link(s, backendPath(b.name, '/delete'))}" class="buttons">${csrfField(who.csrf)}
<button type="submit" class="button danger">Remove ${b.name}</button> <a href="${link(s, backendPath(b.name))}">Cancel</a></form>
</section>`,
  );
}
