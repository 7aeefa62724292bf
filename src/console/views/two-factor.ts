/**
 * The second factor's pages: the code step of a login, enrolment (the only page that ever shows
 * a TOTP secret: as base32 text and as the otpauth:// URI), the recovery codes (shown once, in
 * the answer that made them), and the page to manage 2FA. Every value goes through `html`.
 */
import type { AdminSettings } from '../../admin/index.js';
import { html, type Html } from '../html.js';
import { flashBox, problemBox, type PageProblem } from './parts.js';
import { csrfField, layout, link, when, type PageFrame } from './layout.js';

type Who = NonNullable<PageFrame['admin']>;
export type Problem = PageProblem;

const codeField = (label = 'Code from your authenticator app, or a recovery code'): Html =>
  html`<label for="code">${label}</label>
<input id="code" name="code" inputmode="text" autocomplete="one-time-code" required autofocus spellcheck="false" autocapitalize="none" maxlength="40">`;

/** The login's second step: a half session may only submit a code here. */
export function secondFactorPage(s: AdminSettings, v: { csrf: string; name: string; next: string; problem?: Problem }): Html {
  return layout(
    { settings: s, title: 'Two-factor sign-in' },
    html`<section class="card narrow" aria-labelledby="tf-title">
<h1 id="tf-title">Two-factor sign-in</h1>
<p>Password accepted for <strong>${v.name}</strong>. Enter the 6-digit code your authenticator app shows for Postern, or one of your recovery codes.</p>
${problemBox(v.problem)}
<form method="post" action="${link(s, '/login/2fa')}" class="stack">
  ${csrfField(v.csrf)}<input type="hidden" name="next" value="${v.next}">
  ${codeField()}
  <button type="submit" class="button primary">Verify</button>
</form>
<p class="hint"><a href="${link(s, '/login')}">Start over</a> · Lost your phone and your recovery codes? An operator can run <code>postern admin 2fa reset ${v.name}</code>.</p>
</section>`,
  );
}

export interface EnrolView {
  secretText: string;
  uri: string;
  qrSvg?: Html;
}

/** The states of the 2FA page. */
export type TwoFactorView =
  | { kind: 'vault-off' }
  | { kind: 'intro'; required: boolean }
  | { kind: 'enrol'; enrol: EnrolView; required: boolean; problem?: Problem }
  | { kind: 'unreadable'; detail: string }
  | { kind: 'on'; enabledAt: string; recoveryCodesLeft: number; required: boolean; secretLost: boolean; problem?: Problem; flash?: string };

export function twoFactorPage(s: AdminSettings, who: Who, v: TwoFactorView, limited: boolean): Html {
  const action = (path: string, label: string, cls = ''): Html =>
    html`<form method="post" action="${link(s, path)}" class="inline">${csrfField(who.csrf)}<button type="submit" class="button ${cls}">${label}</button></form>`;
  const requiredNote = (required: boolean): Html | string =>
    required ? html`<p class="notice" role="status" data-code="two-factor-required">Two-factor authentication is required for <strong>${who.name}</strong>: set it up to use the console.</p>` : '';
  let body: Html;
  switch (v.kind) {
    case 'vault-off':
      body = html`${problemBox({ code: 'vault-off', message: html`Two-factor authentication keeps its secret in Postern's vault, which is off (no <code>[vault] keys</code>). An operator must configure a key (<code>postern keys rotate</code> prints one) and restart Postern.` })}`;
      break;
    case 'intro':
      body = html`${requiredNote(v.required)}<p>With two-factor authentication, signing in needs your password and a code from an authenticator app (any TOTP app: Aegis, FreeOTP, Google Authenticator, 1Password, ...). You also get recovery codes for when the phone is lost.</p>
${action('/2fa/enrol', 'Set up two-factor authentication', 'primary')}`;
      break;
    case 'enrol':
      body = html`${requiredNote(v.required)}<ol class="steps">
<li><p>Add an account to your authenticator app: ${v.enrol.qrSvg ? 'scan the code, ' : ''}open the link on the phone, or type the key by hand (time-based, SHA-1, 6 digits, 30 seconds).</p>
${v.enrol.qrSvg ? html`<div class="qr" aria-hidden="true">${v.enrol.qrSvg}</div>` : ''}
<p>Key: <code class="code" data-role="totp-secret">${v.enrol.secretText}</code></p>
<p><a href="${v.enrol.uri}" data-role="totp-uri">${v.enrol.uri}</a></p></li>
<li><p>Enter the code the app shows now, to prove it works.</p>
${problemBox(v.problem)}
<form method="post" action="${link(s, '/2fa/confirm')}" class="stack">${csrfField(who.csrf)}
${codeField('Code from your authenticator app')}
<button type="submit" class="button primary">Turn on two-factor authentication</button></form></li>
</ol>
<p class="hint">Added the wrong key, or the code never matches? ${action('/2fa/enrol', 'Start over with a new key')}</p>`;
      break;
    case 'unreadable':
      body = html`${problemBox({ code: 'totp-unreadable', message: `The pending key cannot be decrypted (${v.detail}).` })}${action('/2fa/enrol', 'Start over with a new key', 'primary')}`;
      break;
    case 'on':
      body = html`${flashBox(v.flash)}
<p><span class="badge on" data-role="two-factor-state">On</span> since ${when(v.enabledAt)}. Recovery codes left: <strong data-role="recovery-left">${v.recoveryCodesLeft}</strong>.</p>
${v.secretLost ? problemBox({ code: 'totp-secret-reset', message: html`Your TOTP key was cleared (its vault key was lost), so only recovery codes work. Ask an operator for <code>postern admin 2fa reset ${who.name}</code>, then set it up again.` }) : ''}
${problemBox(v.problem)}
<p>Both changes below end your other sessions, and need a current code (from the app, or a recovery code).</p>
<div class="grid">
<form method="post" action="${link(s, '/2fa/recovery-codes')}" class="stack card">${csrfField(who.csrf)}<h2>New recovery codes</h2><p class="muted">The old ones stop working.</p>
<label for="rc-code">Current code</label><input id="rc-code" name="code" autocomplete="one-time-code" required spellcheck="false" maxlength="40">
<button type="submit" class="button">Make new recovery codes</button></form>
${v.required
        ? html`<div class="card"><h2>Turn off</h2><p class="muted" data-code="two-factor-required">Required for you by an operator (<code>postern admin require-2fa ${who.name} --off</code> lifts it).</p></div>`
        : html`<form method="post" action="${link(s, '/2fa/disable')}" class="stack card">${csrfField(who.csrf)}<h2>Turn off</h2><p class="muted">Signing in then needs only your password.</p>
<label for="off-code">Current code</label><input id="off-code" name="code" autocomplete="one-time-code" required spellcheck="false" maxlength="40">
<button type="submit" class="button danger">Turn off two-factor authentication</button></form>`}
</div>`;
      break;
  }
  return layout(
    { settings: s, title: 'Two-factor authentication', section: 'two-factor', admin: { ...who, limited } },
    html`<div class="page-head"><h1>Two-factor authentication</h1></div>${body}`,
  );
}

/** Shown once, in the answer to the request that made them; never again. */
export function recoveryCodesPage(s: AdminSettings, who: Who, codes: string[], why: string): Html {
  return layout(
    { settings: s, title: 'Recovery codes', section: 'two-factor', admin: who },
    html`<div class="page-head"><h1>Your recovery codes</h1></div>
<p class="notice" role="status">${why}</p>
<p><strong>Save these now: they are shown only this once.</strong> Each one signs you in once instead of a code from the app, when your phone is lost.</p>
<ol class="recovery-codes" data-role="recovery-codes">${codes.map((c) => html`<li><code>${c}</code></li>`)}</ol>
<p><a class="button primary" href="${link(s, '/2fa')}">I have saved them</a></p>`,
  );
}
