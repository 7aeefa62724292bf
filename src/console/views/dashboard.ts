/**
 * The dashboard: headline figures for the last 24 hours, logins per hour as a chart (with its
 * numbers as a table), the client IPs and accounts with the most failed logins (each a link
 * into the history filtered on it), and the bans in force. Every value goes through the
 * escaping `html` tag: a login name an attacker typed is shown as text.
 */
import type { AdminSettings } from '../../admin/index.js';
import { filterParams } from '../../history/index.js';
import type { DashboardView } from '../history.js';
import { html, type Html } from '../html.js';
import { chartLegend, chartTable, formatCount, hourlyChart } from './chart.js';
import { layout, link, when, type PageFrame } from './layout.js';

type Who = NonNullable<PageFrame['admin']>;

const KIND_LABEL: Record<DashboardView['bans'][number]['kind'], string> = { ip: 'IP address', subnet: 'Network', account: 'Account' };

export const percent = (rate: number): string => (rate === 0 ? '0%' : rate < 0.001 ? '<0.1%' : `${(rate * 100).toFixed(rate < 0.1 ? 1 : 0)}%`);

function historyLink(s: AdminSettings, f: Parameters<typeof filterParams>[0]): string {
  return link(s, `/history?${filterParams(f)}`);
}

function stat(id: string, label: string, value: string, note: Html | string): Html {
  return html`<div class="stat" data-stat="${id}"><dt>${label}</dt><dd><span class="stat-value">${value}</span><span class="stat-note">${note}</span></dd></div>`;
}

function topTable(s: AdminSettings, title: string, id: string, rows: Array<{ subject: string; failures: number; lastAt: string }>, kind: 'ip' | 'account'): Html {
  return html`<section class="card panel" aria-labelledby="${id}-title"><h2 id="${id}-title">${title}</h2>
${rows.length === 0
    ? html`<p class="empty-inline">No failed logins in the last 24 hours.</p>`
    : html`<table class="data compact" data-role="${id}"><caption class="visually-hidden">${title}, most failures first</caption>
<thead><tr><th scope="col">${kind === 'ip' ? 'Client IP' : 'Account'}</th><th scope="col" class="num">Failures</th><th scope="col">Last</th></tr></thead>
<tbody>${rows.map(
        (r) => html`<tr><th scope="row" class="login-cell"><a href="${historyLink(s, kind === 'ip' ? { ip: r.subject, result: 'fail' } : { account: r.subject, match: 'exact', result: 'fail' })}"${kind === 'ip' ? html` class="code"` : ''}>${r.subject}</a></th><td class="num">${formatCount(r.failures)}</td><td class="muted nowrap small">${when(r.lastAt)}</td></tr>`,
      )}</tbody></table>`}
</section>`;
}

export function dashboardPage(s: AdminSettings, who: Who, d: DashboardView): Html {
  const t = d.totals;
  const bans = d.bans.slice(0, 8);
  return layout(
    { settings: s, title: 'Dashboard', section: 'dashboard', admin: who },
    html`<div class="page-head"><h1>Dashboard</h1><p class="muted">The last 24 hours, from ${when(d.since)} (hours in UTC).</p></div>
${d.history.enabled ? '' : html`<p class="notice" role="status" data-role="history-off">The login history is off (<code>history.enabled = false</code>): new logins are not recorded, so these figures stop growing.</p>`}
<dl class="stats">
${stat('ok', 'Successful logins', formatCount(t.ok), html`of ${formatCount(t.total)} in all`)}
${stat('fail', 'Failed logins', formatCount(t.fail), t.tempfail > 0 ? html`and ${formatCount(t.tempfail)} temporary failures` : 'refused: wrong password, unknown user, ...')}
${stat('rate', 'Failure rate', percent(t.failureRate), 'failed of all logins')}
${stat('bans', 'Bans in force', formatCount(d.bans.length), html`<a href="${link(s, '/bans')}">Manage bans</a>`)}
</dl>
<section class="card panel" aria-labelledby="chart-h"><div class="panel-head"><h2 id="chart-h">Logins per hour</h2>${chartLegend(t)}</div>
${hourlyChart(d.hours)}
${chartTable(d.hours)}
</section>
<div class="two-up">
${topTable(s, 'Top failing client IPs', 'top-ips', d.topIps.map((x) => ({ subject: x.ip, failures: x.failures, lastAt: x.lastAt })), 'ip')}
${topTable(s, 'Top failing accounts', 'top-accounts', d.topAccounts.map((x) => ({ subject: x.account, failures: x.failures, lastAt: x.lastAt })), 'account')}
</div>
<section class="card panel" aria-labelledby="bans-h"><div class="panel-head"><h2 id="bans-h">Bans in force</h2><a href="${link(s, '/bans')}">All bans</a></div>
${d.bans.length === 0
      ? html`<p class="empty-inline" data-role="no-bans">No one is banned.</p>`
      : html`<table class="data compact" data-role="bans"><caption class="visually-hidden">Bans in force, newest first</caption>
<thead><tr><th scope="col">Subject</th><th scope="col">Kind</th><th scope="col">Reason</th><th scope="col">Until</th></tr></thead>
<tbody>${bans.map(
          (b) => html`<tr><th scope="row"><code>${b.subject}</code></th><td>${KIND_LABEL[b.kind]}</td><td class="reason">${b.reason === '' ? html`<span class="muted">none given</span>` : b.reason}</td><td>${when(b.expiresAt)}</td></tr>`,
        )}</tbody></table>${d.bans.length > bans.length ? html`<p class="muted">and ${d.bans.length - bans.length} more on the <a href="${link(s, '/bans')}">Bans</a> page.</p>` : ''}`}
</section>
<p class="hint">See every login on the <a href="${link(s, '/history')}">Login history</a> page (kept ${d.history.retentionDays} days). The same figures: <code>GET /api/v1/dashboard</code>.</p>`,
  );
}
