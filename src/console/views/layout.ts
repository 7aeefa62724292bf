/**
 * The frame of every console page: head with the stylesheet and script, a skip link, who is
 * signed in with the logout button, the navigation (a sidebar), the trust-everything warning when it
 * applies, and the main content. Every URL is built from the public URL (linkTo), never from
 * the request, so the page is right whatever the proxy kept or stripped.
 */
import { linkTo } from '../../http/index.js';
import type { AdminSettings } from '../../admin/index.js';
import { html, type Html } from '../html.js';

export interface PageFrame {
  settings: AdminSettings;
  title: string;
  /** The navigation entry to mark as current. */
  section?: Section;
  /** Present when someone is signed in; `limited`: a half session (no navigation, only log out). */
  admin?: { name: string; csrf: string | null; limited?: boolean };
}

export type Section = (typeof MAIN_NAV)[number][0] | (typeof OWN_NAV)[number][0];

/** The main navigation: what the operator manages. */
const MAIN_NAV = [
  ['dashboard', 'Dashboard', '/dashboard'],
  ['mailboxes', 'Mailboxes', '/mailboxes'],
  ['domains', 'Domains', '/domains'],
  ['aliases', 'Aliases', '/aliases'],
  ['backends', 'Backends', '/backends'],
  ['routes', 'Routes', '/routes'],
  ['history', 'Login history', '/history'],
  ['bans', 'Bans', '/bans'],
  ['keys', 'Keys', '/keys'],
] as const;

/** The signed-in admin's own things, and the proxy diagnostics. */
const OWN_NAV = [
  ['sessions', 'Sessions', '/sessions'],
  ['tokens', 'API tokens', '/tokens'],
  ['two-factor', 'Two-factor', '/2fa'],
  ['diagnostics', 'Diagnostics', '/diagnostics'],
] as const;

export const link = (s: AdminSettings, path: string): string => linkTo(s.publicUrl, path);

/** ISO time as people read it in a table: `2030-01-01 09:05 UTC`. */
export function when(iso: string | null): string {
  if (iso === null) return 'never';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function csrfField(csrf: string | null): Html {
  return csrf === null ? html`` : html`<input type="hidden" name="csrf" value="${csrf}">`;
}

export function layout(f: PageFrame, main: Html): Html {
  const s = f.settings;
  const nav = (entries: ReadonlyArray<readonly [Section, string, string]>): Html[] =>
    entries.map(([id, label, path]) => html`<li><a href="${link(s, path)}"${f.section === id ? html` aria-current="page"` : ''}>${label}</a></li>`);
  // A sidebar on wide screens, wrapping rows on narrow ones (assets.ts): thirteen entries do not fit one bar.
  const sidebar = f.admin && !f.admin.limited;
  return html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
${f.admin?.csrf ? html`<meta name="postern-csrf" content="${f.admin.csrf}">` : ''}
<meta name="postern-api" content="${link(s, '/api/v1/')}">
<title>${f.title} · Postern</title>
<link rel="stylesheet" href="${link(s, '/assets/console.css')}">
<script src="${link(s, '/assets/console.js')}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="${link(s, '/')}"><span class="logo" aria-hidden="true">P</span> Postern <span class="muted">admin</span></a>
  ${f.admin
    ? html`<div class="who">Signed in as <strong>${f.admin.name}</strong>
    <form method="post" action="${link(s, '/logout')}">${csrfField(f.admin.csrf)}<button type="submit" class="button subtle">Log out</button></form>
  </div>`
    : ''}
</header>
${s.trustWarning
    ? html`<div class="banner warning" role="alert"><strong>trust-everything:</strong> ${s.trustWarning}. Set <code>admin.trusted_proxies</code> to your proxies' addresses.</div>`
    : ''}
<div class="shell${sidebar ? ' with-nav' : ''}">
${sidebar
    ? html`<div class="side"><div class="side-inner">
  <nav aria-label="Main"><span class="nav-group" aria-hidden="true">Manage</span><ul>${nav(MAIN_NAV)}</ul></nav>
  <nav aria-label="Account" class="own"><span class="nav-group" aria-hidden="true">Your account</span><ul>${nav(OWN_NAV)}</ul></nav>
</div></div>`
    : ''}
<div class="content">
<main id="main" tabindex="-1">
${main}
</main>
<footer class="foot">Postern console · <a href="${link(s, '/api/openapi.json')}">API (OpenAPI)</a></footer>
</div>
</div>
<div id="live" class="visually-hidden" aria-live="polite"></div>
</body>
</html>`;
}
