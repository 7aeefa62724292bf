/**
 * The Bans page (the bans in force, each with a Lift button) and the read-only Keys page (the
 * vault's keys as `postern keys status` reports them: ids, states and counts, never material).
 * Every dynamic value, a ban's reason included, goes through the escaping `html` tag.
 */
import type { AdminSettings } from '../../admin/index.js';
import type { KeysStatusReport } from '../../app/vault-check.js';
import { html, type Html } from '../html.js';
import { flashBox } from './parts.js';
import type { BanView } from '../service.js';
import { csrfField, layout, link, when, type PageFrame } from './layout.js';

type Who = NonNullable<PageFrame['admin']>;

const KIND_LABEL: Record<BanView['kind'], string> = { ip: 'IP address', subnet: 'Network', account: 'Account' };

export function bansPage(s: AdminSettings, who: Who, bans: BanView[], flash?: string): Html {
  const rows = bans.map(
    (b) => html`<tr data-ban="${b.id}">
  <td>${KIND_LABEL[b.kind]}</td>
  <th scope="row"><code>${b.subject}</code></th>
  <td class="reason">${b.reason === '' ? html`<span class="muted">none given</span>` : b.reason}</td>
  <td>${when(b.createdAt)}</td>
  <td>${when(b.expiresAt)}</td>
  <td class="actions">
    <form method="post" action="${link(s, '/bans/lift')}">
      ${csrfField(who.csrf)}<input type="hidden" name="subject" value="${b.subject}">
      <button type="submit" class="button danger" aria-label="Lift the ban on ${b.subject}">Lift</button>
    </form>
  </td>
</tr>`,
  );
  return layout(
    { settings: s, title: 'Bans', section: 'bans', admin: who },
    html`<div class="page-head"><h1>Bans</h1><p class="muted">Bans in force now, newest first. Lifting ends every ban on that subject; it applies to the next login.</p></div>
${flashBox(flash)}
${bans.length === 0
      ? html`<p class="empty" data-role="no-bans">No one is banned.</p>`
      : html`<div class="table-wrap"><table class="data">
<caption class="visually-hidden">Bans in force</caption>
<thead><tr><th scope="col">Kind</th><th scope="col">Subject</th><th scope="col">Reason</th><th scope="col">Since</th><th scope="col">Until</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${rows}</tbody></table></div>`}`,
  );
}

export function keysPage(s: AdminSettings, who: Who, report: KeysStatusReport): Html {
  const rows = report.keys.map(
    (k) => html`<tr data-key="${k.id}">
  <th scope="row"><code>${k.id}</code></th>
  <td><span class="badge ${k.state === 'active' ? 'on' : k.state === 'missing' ? 'off' : ''}" data-role="state">${k.state}</span></td>
  <td data-role="secrets">${k.secrets}</td>
  <td><code>${k.canary}</code></td>
  <td data-role="retirable">${k.retirable ? 'yes' : 'no'}</td>
  <td>${k.verdict}</td>
</tr>`,
  );
  return layout(
    { settings: s, title: 'Keys', section: 'keys', admin: who },
    html`<div class="page-head"><h1>Vault keys</h1><p class="muted">What <code>postern keys status</code> reports: each key's state, the stored secrets encrypted with it, and whether it can be retired. Key material is never shown.</p></div>
${report.vault === 'off' ? html`<p class="notice" role="status" data-role="vault-off">The vault is off: no keys are configured in <code>vault.keys</code>.</p>` : ''}
${report.keys.length === 0
      ? html`<p class="empty">No stored secret needs a key.</p>`
      : html`<div class="table-wrap"><table class="data">
<caption class="visually-hidden">Vault keys</caption>
<thead><tr><th scope="col">Key</th><th scope="col">State</th><th scope="col">Secrets</th><th scope="col">Canary</th><th scope="col">Can be retired</th><th scope="col">Verdict</th></tr></thead>
<tbody>${rows}</tbody></table></div>`}
<p class="muted">Rotate, re-encrypt and retire on the server: <code>postern keys rotate</code>, <code>postern secrets reencrypt</code>, <code>postern keys retire &lt;id&gt;</code>.</p>`,
  );
}
