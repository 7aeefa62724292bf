/**
 * The login page. Besides the form it says, with a stable code, why the last attempt failed
 * and, when the cause is the proxy set-up (cookie not returned, origin mismatch, untrusted
 * forwarding headers), exactly what to change: the findings of src/http/diagnose.ts.
 */
import type { AdminSettings } from '../../admin/index.js';
import type { Finding } from '../../http/index.js';
import { html, type Html } from '../html.js';
import { flashBox, problemBox, type PageProblem } from './parts.js';
import { findingList } from './findings.js';
import { layout, link } from './layout.js';

export type LoginProblem = PageProblem;

export interface LoginView {
  settings: AdminSettings;
  next: string;
  name?: string;
  notice?: string;
  problem?: LoginProblem;
  findings: Finding[];
}

export function loginPage(v: LoginView): Html {
  return layout(
    { settings: v.settings, title: 'Sign in' },
    html`<section class="card narrow" aria-labelledby="login-title">
  <h1 id="login-title">Sign in to the Postern console</h1>
  ${flashBox(v.notice)}
  ${problemBox(v.problem)}
  ${v.findings.length > 0 ? html`<div class="proxy-findings"><h2>What Postern sees of this connection</h2>${findingList(v.findings)}</div>` : ''}
  <form method="post" action="${link(v.settings, '/login')}" class="stack">
    <input type="hidden" name="next" value="${v.next}">
    <label for="name">Admin name</label>
    <input id="name" name="name" autocomplete="username" required autofocus value="${v.name ?? ''}" spellcheck="false" autocapitalize="none">
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button type="submit" class="button primary">Sign in</button>
  </form>
  <p class="hint">No admin yet? Create one on the server: <code>postern admin add &lt;name&gt;</code></p>
</section>`,
  );
}
