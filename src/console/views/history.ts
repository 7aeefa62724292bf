/**
 * The login history page: a filter form (GET, so a filtered view is a link one can share or
 * bookmark), the matching logins newest first, and an "Older" link to the next page. A filter
 * that cannot be read comes back with the form as typed and what is wrong next to it. Every
 * value goes through the escaping `html` tag: logins are whatever clients typed.
 */
import type { AdminSettings } from '../../admin/index.js';
import { filterParams, type HistoryFilter, type HistorySettings } from '../../history/index.js';
import type { LoginRecord } from '../../store/index.js';
import type { HistorySearch } from '../history.js';
import { html, type Html } from '../html.js';
import { layout, link, type PageFrame } from './layout.js';

type Who = NonNullable<PageFrame['admin']>;

const RESULT_LABEL: Record<LoginRecord['result'], string> = { ok: 'Success', fail: 'Failed', tempfail: 'Temporary failure' };
const RESULT_BADGE: Record<LoginRecord['result'], string> = { ok: 'on', fail: 'off', tempfail: 'warning' };

function option(value: string, label: string, current: string): Html {
  return html`<option value="${value}"${value === current ? html` selected` : ''}>${label}</option>`;
}

function field(id: keyof HistoryFilter, label: string, control: Html, problem: string | undefined, hint?: string): Html {
  return html`<div class="field${problem ? ' invalid' : ''}"><label for="f-${id}">${label}</label>${control}${problem ? html`<span class="field-error" id="f-${id}-error">${problem}</span>` : hint ? html`<span class="muted small" id="f-${id}-hint">${hint}</span>` : ''}</div>`;
}

function input(id: keyof HistoryFilter, value: string, problem: string | undefined, extra: { type?: string; placeholder?: string; hint?: boolean } = {}): Html {
  const described = problem ? `f-${id}-error` : extra.hint ? `f-${id}-hint` : '';
  return html`<input id="f-${id}" name="${id}" type="${extra.type ?? 'text'}" value="${value}"${extra.placeholder ? html` placeholder="${extra.placeholder}"` : ''} autocomplete="off" spellcheck="false" autocapitalize="none"${described ? html` aria-describedby="${described}"` : ''}${problem ? html` aria-invalid="true"` : ''}>`;
}

/** A datetime-local control shows only `YYYY-MM-DDTHH:MM`; anything else typed stays a text field. */
function timeInput(id: 'since' | 'until', value: string, problem: string | undefined): Html {
  const local = value === '' || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value);
  return input(id, value, problem, { type: local ? 'datetime-local' : 'text', hint: true });
}

function filterForm(s: AdminSettings, f: HistoryFilter, problems: Map<string, string>): Html {
  return html`<form class="filters card" method="get" action="${link(s, '/history')}" role="search" aria-label="Filter the login history">
<div class="filter-grid">
${field('account', 'Account or login', input('account', f.account, problems.get('account'), { placeholder: 'alice@example.com', hint: true }), problems.get('account'), 'the name as typed, or the mailbox')}
${field('match', 'Match', html`<select id="f-match" name="match">${option('contains', 'contains', f.match)}${option('exact', 'is exactly', f.match)}</select>`, problems.get('match'))}
${field('ip', 'Client IP or network', input('ip', f.ip, problems.get('ip'), { placeholder: '192.0.2.7 or 192.0.2.0/24', hint: true }), problems.get('ip'), 'an address or a CIDR network')}
${field('protocol', 'Protocol', html`<select id="f-protocol" name="protocol">${option('', 'Any', f.protocol)}${option('imap', 'IMAP', f.protocol)}${option('pop3', 'POP3', f.protocol)}${option('smtp', 'SMTP', f.protocol)}</select>`, problems.get('protocol'))}
${field('result', 'Result', html`<select id="f-result" name="result">${option('', 'Any', f.result)}${option('ok', 'Success', f.result)}${option('fail', 'Failed', f.result)}${option('tempfail', 'Temporary failure', f.result)}</select>`, problems.get('result'))}
${field('since', 'Since (UTC)', timeInput('since', f.since, problems.get('since')), problems.get('since'), 'from this time on')}
${field('until', 'Until (UTC)', timeInput('until', f.until, problems.get('until')), problems.get('until'), 'before this time')}
</div>
<div class="filter-actions"><button type="submit" class="button primary">Filter</button><a class="button" href="${link(s, '/history')}">Clear filters</a></div>
</form>`;
}

function row(s: AdminSettings, e: LoginRecord): Html {
  const account = e.mailbox ?? e.login;
  return html`<tr data-entry="${e.id}">
  <td class="nowrap">${e.at.slice(0, 10)} <strong>${e.at.slice(11, 19)}</strong></td>
  <th scope="row" class="login">${e.login === '' ? html`<span class="muted">unreadable</span>` : account === '' ? e.login : html`<a href="${link(s, `/history?${filterParams({ account, match: 'exact' })}`)}">${e.login}</a>`}${e.mailbox !== null && e.mailbox !== e.login ? html`<span class="muted small block">${e.mailbox}</span>` : ''}</th>
  <td>${e.clientIp === '' ? html`<span class="muted">none</span>` : html`<a class="code" href="${link(s, `/history?${filterParams({ ip: e.clientIp })}`)}">${e.clientIp}</a>`}</td>
  <td>${e.protocol.toUpperCase()} <span class="muted small">${e.method}</span></td>
  <td><span class="badge ${RESULT_BADGE[e.result]}" data-role="result">${RESULT_LABEL[e.result]}</span></td>
  <td><code>${e.reason}</code>${e.cache ? html` <span class="badge info" title="answered from the auth cache${e.cache === 'stale' ? ' while the directory was unavailable' : ''}">cache ${e.cache}</span>` : ''}${e.appPassword !== null ? html` <span class="badge info">app password: ${e.appPassword}</span>` : ''}</td>
</tr>`;
}

export function historyPage(s: AdminSettings, who: Who, found: HistorySearch, opts: { paged: boolean; limit: string | null; settings: HistorySettings }): Html {
  const problems = new Map(found.problems.map((p) => [p.param, p.message]));
  const filtered = Object.entries(found.filter).some(([k, v]) => k !== 'match' && v !== '');
  // The pages keep the filters and a chosen page size.
  const size: Record<string, string> = opts.limit ? { limit: opts.limit } : {};
  const older = found.next ? link(s, `/history?${filterParams(found.filter, { ...size, before: found.next })}`) : null;
  const newest = opts.paged ? link(s, `/history?${filterParams(found.filter, size)}`) : null;
  const other = [...problems.entries()].filter(([k]) => k === 'before' || k === 'limit');
  return layout(
    { settings: s, title: 'Login history', section: 'history', admin: who },
    html`<div class="page-head"><h1>Login history</h1><p class="muted">Every login Postern answered, newest first, kept ${opts.settings.retentionDays} days. Times are UTC.</p></div>
${opts.settings.enabled ? '' : html`<p class="notice" role="status" data-role="history-off">The login history is off (<code>history.enabled = false</code>): new logins are not recorded.</p>`}
${filterForm(s, found.filter, problems)}
${found.problems.length > 0
      ? html`<div class="error" role="alert" data-code="invalid-filter"><p><code class="code">invalid-filter</code> ${found.problems.length === 1 ? 'A filter' : 'Some filters'} could not be read: ${found.problems.map((p, i) => html`${i > 0 ? '; ' : ''}<strong>${p.param}</strong> ${p.message}`)}.</p>${other.length > 0 ? html`<p class="fix"><a href="${link(s, '/history')}">Start again</a></p>` : ''}</div>`
      : found.entries.length === 0
        ? html`<p class="empty" data-role="no-entries">${filtered ? 'No logins match these filters.' : opts.paged ? 'No older logins.' : 'No logins recorded yet.'}</p>`
        : html`<p class="muted" data-role="count" aria-live="polite">${found.entries.length} ${found.entries.length === 1 ? 'login' : 'logins'}${opts.paged ? ' (older page)' : ''}${filtered ? ' matching the filters' : ''}, newest first.</p>
<div class="table-wrap"><table class="data history" data-role="history"><caption class="visually-hidden">Logins, newest first</caption>
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Login</th><th scope="col">Client IP</th><th scope="col">Protocol</th><th scope="col">Result</th><th scope="col">Reason</th></tr></thead>
<tbody>${found.entries.map((e) => row(s, e))}</tbody></table></div>`}
${newest || older
      ? html`<nav class="pager" aria-label="Pages">${newest ? html`<a class="button" href="${newest}">Newest</a>` : ''}${older ? html`<a class="button" href="${older}" rel="next">Older</a>` : ''}</nav>`
      : ''}
<p class="hint">The same entries as JSON: <code>GET /api/v1/history</code> with these filters as query parameters.</p>`,
  );
}
