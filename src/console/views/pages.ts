/**
 * The signed-in pages: one's sessions (with revoke; the API tokens have their own page,
 * views/tokens.ts), the proxy diagnostics, and the error page (the mailbox pages are in
 * views/mailboxes.ts). Every dynamic value goes through the escaping `html` tag.
 */
import type { AdminSettings } from '../../admin/index.js';
import type { DiagnosticsView } from '../diagnostics.js';
import { html, type Html } from '../html.js';
import { flashBox, problemBox, type PageProblem } from './parts.js';
import type { SessionView } from '../service.js';
import { findingList } from './findings.js';
import { csrfField, layout, link, when, type PageFrame } from './layout.js';

type Who = NonNullable<PageFrame['admin']>;

export function sessionsPage(s: AdminSettings, who: Who, sessions: SessionView[], flash?: string): Html {
  const rows = sessions.map(
    (x) => html`<tr data-session="${x.id}">
  <th scope="row"><span title="${x.userAgent}">${x.browser}</span></th>
  <td><code>${x.clientIp}</code></td>
  <td>${when(x.createdAt)}</td>
  <td>${when(x.lastSeenAt)}</td>
  <td>${when(x.expiresAt)}</td>
  <td class="actions">${x.current
      ? html`<span class="badge on">This session</span>`
      : html`<form method="post" action="${link(s, `/sessions/${x.id}/revoke`)}">${csrfField(who.csrf)}<button type="submit" class="button danger" aria-label="Revoke the session of ${x.browser} from ${x.clientIp}">Revoke</button></form>`}</td>
</tr>`,
  );
  return layout(
    { settings: s, title: 'Sessions', section: 'sessions', admin: who },
    html`<div class="page-head"><h1>Your sessions</h1><p class="muted">Signed-in browsers of <strong>${who.name}</strong>. A session ends after ${s.session.idleMs / 60_000} minutes unused or ${s.session.maxMs / 3_600_000} hours after sign-in; binding: ${s.session.binding}.</p></div>
${flashBox(flash)}
<div class="table-wrap"><table class="data">
<caption class="visually-hidden">Your sessions</caption>
<thead><tr><th scope="col">Browser</th><th scope="col">Client IP</th><th scope="col">Signed in</th><th scope="col">Last used</th><th scope="col">Ends</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${rows}</tbody></table></div>
<p class="hint">Scripts sign in with API tokens instead: see <a href="${link(s, '/tokens')}">your API tokens</a>.</p>`,
  );
}

export function diagnosticsPage(s: AdminSettings, who: Who, d: DiagnosticsView): Html {
  const row = (label: string, value: Html | string | null, from?: string): Html =>
    html`<tr><th scope="row">${label}</th><td>${value === null ? html`<span class="muted">none</span>` : html`<code>${value}</code>`}${from ? html` <span class="muted">from ${from}</span>` : ''}</td></tr>`;
  return layout(
    { settings: s, title: 'Diagnostics', section: 'diagnostics', admin: who },
    html`<div class="page-head"><h1>Proxy diagnostics</h1><p class="muted">What Postern resolved for this very request, and what it expects.</p></div>
<section aria-labelledby="f-title"><h2 id="f-title">Findings</h2>${findingList(d.findings, { empty: 'Nothing to fix: the proxies, the public URL and the cookie agree.' })}</section>
<div class="grid">
<section aria-labelledby="r-title"><h2 id="r-title">Resolved</h2><table class="kv">
${row('Public URL', d.publicUrl, d.publicUrlConfigured ? 'admin.public_url' : 'admin.host, admin.port and admin.path (admin.public_url is not set)')}
${row('Scheme', d.resolved.scheme, d.resolved.schemeFrom)}
${row('Host', d.resolved.host, d.resolved.hostFrom)}
${row('Prefix', d.resolved.prefix, d.resolved.prefixFrom)}
${row('Client IP', d.resolved.clientIp)}
${row("Postern's mount path", d.mountPath, 'admin.path')}
${row('Request', `${d.request.method} ${d.request.target}`)}
${row('App path', d.request.appPath, `path mapping: ${d.request.pathMapping}`)}
</table></section>
<section aria-labelledby="c-title"><h2 id="c-title">Cookie and session</h2><table class="kv">
${row('Cookie name', d.cookie.name)}
${row('Attributes', d.cookie.attributes)}
${row('Returned by this browser', d.cookie.returned ? 'yes' : 'no')}
${row('Binding', d.session.binding, 'admin.session_binding')}
${row('Timeouts', `${d.session.idleMinutes} min idle, ${d.session.maxHours} h absolute`)}
</table></section>
</div>
<section aria-labelledby="h-title"><h2 id="h-title">Hops, from Postern outwards</h2>
<div class="table-wrap"><table class="data"><thead><tr><th scope="col">#</th><th scope="col">Address</th><th scope="col">Seen in</th><th scope="col">Trusted</th><th scope="col">Why</th></tr></thead>
<tbody>${d.hops.map((h, i) => html`<tr><td>${i}</td><td><code>${h.address}</code></td><td>${h.source}</td><td>${h.trusted ? html`<span class="badge on">trusted</span>` : html`<span class="badge off">no</span>`}</td><td>${h.why}</td></tr>`)}</tbody></table></div>
<table class="kv">
${row('Trusted proxies', d.trustedProxies.join(', '), 'admin.trusted_proxies')}
${row('Client address header', d.clientIpHeader, 'admin.client_ip_header')}
${row('Hop limit', d.maxProxyHops === null ? null : String(d.maxProxyHops), 'admin.max_proxy_hops')}
${row('PROXY protocol', d.proxyProtocol.enabled ? (d.proxyProtocol.source ? `on: this connection came through ${d.proxyProtocol.socketPeer ?? '?'} for ${d.proxyProtocol.source}` : 'on: no header on this connection') : 'off', 'admin.proxy_protocol')}
${row('Headers ignored', d.ignoredHeaders.length > 0 ? d.ignoredHeaders.join(', ') : null)}
</table></section>`,
  );
}

export function errorPage(s: AdminSettings, who: Who | undefined, status: number, problem: PageProblem): Html {
  return layout(
    { settings: s, title: `Error ${status}`, ...(who ? { admin: who } : {}) },
    html`<section class="card narrow" aria-labelledby="err-title">
<h1 id="err-title">${status === 403 ? 'Refused' : status === 404 ? 'Not found' : 'Something is wrong'}</h1>
${problemBox(problem)}
<p><a href="${link(s, '/')}">Back to the console</a></p>
</section>`,
  );
}
