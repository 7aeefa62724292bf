/**
 * The console's second factor (issue 5, items 3 and 4): the code step of a login, enrolment,
 * recovery codes, and turning 2FA off. The rules, and why:
 * - After the password, an admin with 2FA gets a half session (stage `second-factor`) that can
 *   only submit a code; passing it revokes the half session and makes a NEW full session id, so
 *   an id seen before the second factor is worth nothing after it.
 * - Wrong codes count towards the console login limits like wrong passwords, and the limits'
 *   success (which clears the client's count) is only recorded after the second factor, so a
 *   known password cannot be used to reset the count between guesses.
 * - A time step is accepted once per admin, across processes (the store's compare-and-set).
 * - Any change of the second factor (enrolment, new recovery codes, turning it off) revokes the
 *   admin's other sessions; enrolment also gives this browser a new id.
 * - The TOTP secret is decrypted only to check a code or to show the enrolment page, and never
 *   logged; recovery codes exist in clear only in the answer that shows them.
 */
import {
  checkTotp,
  hashRecoveryCode,
  looksLikeRecoveryCode,
  newRecoveryCodes,
  newTotpSecret,
  totpSecretText,
  totpUri,
  type Admin,
  type TotpState,
} from '../admin/index.js';
import { totpSecretBinding } from '../directory/types.js';
import { decrypt, describeUndecryptable, encrypt } from '../vault/index.js';
import { safeNext, startSession } from './auth.js';
import { clientIp, type ConsoleDeps, type Ctx } from './context.js';
import { clearCookie, redirect, sendHtml, setCookie } from './http-io.js';
import { qrSvg } from './qr.js';
import { link } from './views/layout.js';
import { recoveryCodesPage, secondFactorPage, twoFactorPage, type Problem, type TwoFactorView } from './views/two-factor.js';

export type SecondFactor = 'totp' | 'recovery-code';
type Verified = { ok: true; factor: SecondFactor } | { ok: false; status: number; problem: Problem; reason: string };

/** The issuer authenticator apps show above the code. */
const ISSUER = 'Postern';

/** The admin's seed, or why it cannot be read (never the ciphertext or the seed in the answer). */
function openSecret(deps: ConsoleDeps, state: TotpState): { ok: true; secret: Buffer } | { ok: false; detail: string; keyId: string | null } {
  if (state.secret === null) return { ok: false, detail: 'no TOTP secret is stored (it was reset)', keyId: null };
  if (deps.keyring === null) return { ok: false, detail: 'the vault is off (no [vault] keys)', keyId: null };
  const opened = decrypt(deps.keyring, 'totp', state.secret, totpSecretBinding(state.adminId));
  return opened.ok ? { ok: true, secret: opened.plaintext } : { ok: false, detail: describeUndecryptable(opened), keyId: opened.keyId };
}

/**
 * Checks a TOTP code (and claims its time step) or spends a recovery code. `state` must be of a
 * confirmed 2FA. Never logs the code or the seed.
 */
export async function verifySecondFactor(ctx: Ctx, deps: ConsoleDeps, admin: Admin, state: TotpState, input: string): Promise<Verified> {
  const fail = (status: number, code: string, message: string, reason = code): Verified => ({ ok: false, status, problem: { code, message }, reason });
  if (looksLikeRecoveryCode(input)) {
    const hash = hashRecoveryCode(input);
    if (hash !== null && (await deps.store.useRecoveryCode(admin.id, hash))) return { ok: true, factor: 'recovery-code' };
    return fail(401, 'bad-recovery-code', 'That recovery code is wrong or was already used.');
  }
  const opened = openSecret(deps, state);
  if (!opened.ok) {
    deps.log.warn({ event: 'admin-totp-unreadable', admin: admin.name, key_id: opened.keyId, problem: opened.detail, client_ip: ctx.fwd.clientIp }, 'the TOTP secret cannot be read');
    return fail(503, 'totp-unreadable', `Your TOTP key cannot be read on this server (${opened.detail}). Use a recovery code, or ask an operator for "postern admin 2fa reset ${admin.name}".`);
  }
  try {
    const check = checkTotp(opened.secret, input, ctx.now, state.lastStep);
    if (!check.ok) {
      if (check.reason === 'malformed') return fail(400, 'bad-code', 'Enter the 6 digits your authenticator app shows, or a recovery code (XXXX-XXXX-XXXX-XXXX).', 'malformed-code');
      if (check.reason === 'replayed') return fail(401, 'code-already-used', 'That code was already used. Wait for the next one (the app shows a new code every 30 seconds).');
      return fail(401, 'bad-code', 'That code is not right. Check that the phone\'s clock is correct and try the current code.');
    }
    // The database decides: of two requests (or servers) with the same code, one wins.
    if (!(await deps.store.claimTotpStep(admin.id, check.step))) return fail(401, 'code-already-used', 'That code was already used. Wait for the next one (the app shows a new code every 30 seconds).');
    return { ok: true, factor: 'totp' };
  } finally {
    opened.secret.fill(0);
  }
}


const session = (ctx: Ctx) => {
  const a = ctx.auth;
  if (a?.kind !== 'session') throw new Error('a console session is required here');
  return a;
};

export async function showSecondFactor(ctx: Ctx): Promise<void> {
  const a = session(ctx);
  sendHtml(ctx.res, 200, secondFactorPage(ctx.settings, { csrf: a.csrf, name: a.admin.name, next: safeNext(ctx, ctx.query.get('next')) }));
}

/** POST /login/2fa with a half session. */
export async function submitSecondFactor(ctx: Ctx, deps: ConsoleDeps, form: URLSearchParams): Promise<void> {
  const a = session(ctx);
  const s = ctx.settings;
  const ip = clientIp(ctx);
  const name = a.admin.name;
  const next = safeNext(ctx, form.get('next'));
  const again = (status: number, problem: Problem) => sendHtml(ctx.res, status, secondFactorPage(s, { csrf: a.csrf, name, next, problem }));
  const gate = await deps.defence.admits(ip, name);
  if (!gate.ok) {
    deps.log.info({ event: 'admin-login', result: 'refused', reason: 'too-many-failures', step: 'second-factor', limit: gate.limit, admin: name, client_ip: ip }, 'console login refused: too many failures');
    return again(429, { code: 'too-many-failures', message: `Too many failed logins. Try again in ${gate.retryMinutes} minutes.` });
  }
  const state = await deps.store.getTotp(a.admin.id);
  if (state.enabledAt === null) {
    // 2FA was turned off or reset since the password step: start again from the password.
    await deps.store.revokeSession(a.admin.id, a.session.idHash);
    return redirect(ctx.res, link(s, '/login?reason=sign-in'), { status: 303, cookies: [clearCookie(s.cookie)] });
  }
  const code = form.get('code') ?? '';
  const v = await verifySecondFactor(ctx, deps, a.admin, state, code);
  if (!v.ok) {
    // Counted like a wrong password (distinct values only), under a prefix no password digest shares.
    if (v.reason !== 'totp-unreadable') await deps.defence.failed(ip, name, `second-factor\0${code.replace(/[\s-]/g, '').toUpperCase()}`);
    deps.log.info({ event: 'admin-login', result: 'fail', reason: v.reason, step: 'second-factor', admin: name, client_ip: ip }, 'console login failed at the second factor');
    return again(v.status, v.problem);
  }
  await deps.defence.succeeded(ip, name);
  // The half session ends and a new id starts: nothing seen before the second factor is a login.
  await deps.store.revokeSession(a.admin.id, a.session.idHash);
  const fresh = await startSession(ctx, deps, a.admin);
  deps.log.info({ event: 'admin-login', result: 'ok', factor: v.factor, admin: name, client_ip: ip }, 'console login');
  const to = v.factor === 'recovery-code' ? '/2fa?recovery=used' : next;
  redirect(ctx.res, link(s, to), { status: 303, cookies: [setCookie(s.cookie, fresh.id)] });
}

async function view(ctx: Ctx, deps: ConsoleDeps, extra: { problem?: Problem; flash?: string } = {}): Promise<TwoFactorView> {
  const a = session(ctx);
  const state = await deps.store.getTotp(a.admin.id);
  if (state.enabledAt !== null) {
    return { kind: 'on', enabledAt: state.enabledAt, recoveryCodesLeft: state.recoveryCodesLeft, required: state.required, secretLost: state.secret === null, ...extra };
  }
  if (deps.keyring === null) return { kind: 'vault-off' };
  if (state.secret === null) return { kind: 'intro', required: state.required };
  const opened = openSecret(deps, state);
  if (!opened.ok) return { kind: 'unreadable', detail: opened.detail };
  try {
    // The one place a TOTP secret is ever shown.
    const account = `${a.admin.name}@${ctx.settings.publicUrl.host}`;
    const uri = totpUri(opened.secret, ISSUER, account);
    const qr = qrSvg(uri);
    return { kind: 'enrol', required: state.required, enrol: { secretText: totpSecretText(opened.secret), uri, ...(qr ? { qrSvg: qr } : {}) }, ...(extra.problem ? { problem: extra.problem } : {}) };
  } finally {
    opened.secret.fill(0);
  }
}

const who = (ctx: Ctx) => ({ name: session(ctx).admin.name, csrf: session(ctx).csrf });
const FLASH: Record<string, string> = {
  used: 'You signed in with a recovery code; it cannot be used again. Make new codes below when few are left.',
  off: 'Two-factor authentication is off. Your other sessions were ended.',
};

async function render(ctx: Ctx, deps: ConsoleDeps, status: number, extra: { problem?: Problem; flash?: string } = {}): Promise<void> {
  sendHtml(ctx.res, status, twoFactorPage(ctx.settings, who(ctx), await view(ctx, deps, extra), session(ctx).session.stage !== 'full'));
}

/** GET /2fa: enrolment, or the management page when 2FA is on. */
export async function showTwoFactor(ctx: Ctx, deps: ConsoleDeps): Promise<void> {
  const flash = FLASH[ctx.query.get('recovery') ?? ctx.query.get('state') ?? ''];
  return render(ctx, deps, 200, flash ? { flash } : {});
}

/** POST /2fa/enrol: a new seed, pending until confirmed with a code. */
export async function startEnrolment(ctx: Ctx, deps: ConsoleDeps): Promise<void> {
  const a = session(ctx);
  if (deps.keyring === null) return render(ctx, deps, 409);
  const seed = newTotpSecret();
  let ciphertext: string;
  try {
    ciphertext = encrypt(deps.keyring, 'totp', seed, totpSecretBinding(a.admin.id));
  } finally {
    seed.fill(0);
  }
  if (!(await deps.store.beginTotp(a.admin.id, ciphertext))) {
    return render(ctx, deps, 409, { problem: { code: 'two-factor-already-on', message: 'Two-factor authentication is already on: turn it off first to use another authenticator.' } });
  }
  deps.log.info({ event: 'admin-2fa', action: 'enrolment-started', admin: a.admin.name, client_ip: ctx.fwd.clientIp }, 'TOTP enrolment started');
  redirect(ctx.res, link(ctx.settings, '/2fa'), { status: 303 });
}

/** POST /2fa/confirm: the first code turns 2FA on, shows the recovery codes once, and makes a new session id. */
export async function confirmEnrolment(ctx: Ctx, deps: ConsoleDeps, form: URLSearchParams): Promise<void> {
  const a = session(ctx);
  const state = await deps.store.getTotp(a.admin.id);
  if (state.enabledAt !== null || state.secret === null) return redirect(ctx.res, link(ctx.settings, '/2fa'), { status: 303 });
  const opened = openSecret(deps, state);
  if (!opened.ok) return render(ctx, deps, 503);
  let step: number;
  try {
    const check = checkTotp(opened.secret, form.get('code') ?? '', ctx.now, state.lastStep);
    if (!check.ok) {
      const problem = check.reason === 'malformed' ? { code: 'bad-code', message: 'Enter the 6 digits your authenticator app shows.' } : { code: 'bad-code', message: 'That code does not match this key. Check the phone\'s clock, or start over with a new key.' };
      return render(ctx, deps, 400, { problem });
    }
    step = check.step;
  } finally {
    opened.secret.fill(0);
  }
  const { codes, hashes } = newRecoveryCodes();
  // Every session of the admin ends (this one too); this browser continues under a new id.
  const r = await deps.store.enableTotp(a.admin.id, state.secret, step, hashes, null);
  if (!r.ok) return render(ctx, deps, 409, { problem: { code: 'enrolment-changed', message: 'The enrolment changed meanwhile (another tab?). Look at the page again.' } });
  const fresh = await startSession(ctx, deps, a.admin);
  deps.log.info({ event: 'admin-2fa', action: 'enabled', admin: a.admin.name, revoked_sessions: r.revokedSessions, client_ip: ctx.fwd.clientIp }, 'TOTP turned on');
  sendHtml(ctx.res, 200, recoveryCodesPage(ctx.settings, { name: a.admin.name, csrf: fresh.csrf }, codes, 'Two-factor authentication is on. Your other sessions were ended.'), {
    cookies: [setCookie(ctx.settings.cookie, fresh.id)],
  });
}

/** POST /2fa/recovery-codes and /2fa/disable: both need a current code. */
export async function changeTwoFactor(ctx: Ctx, deps: ConsoleDeps, form: URLSearchParams, change: 'new-recovery-codes' | 'disable'): Promise<void> {
  const a = session(ctx);
  const state = await deps.store.getTotp(a.admin.id);
  if (state.enabledAt === null) return redirect(ctx.res, link(ctx.settings, '/2fa'), { status: 303 });
  if (change === 'disable' && state.required) {
    return render(ctx, deps, 403, { problem: { code: 'two-factor-required', message: `An operator requires two-factor authentication for ${a.admin.name}; it cannot be turned off here.` } });
  }
  const v = await verifySecondFactor(ctx, deps, a.admin, state, form.get('code') ?? '');
  if (!v.ok) {
    deps.log.info({ event: 'admin-2fa', action: change, result: 'fail', reason: v.reason, admin: a.admin.name, client_ip: ctx.fwd.clientIp }, 'second-factor change refused');
    return render(ctx, deps, v.status, { problem: v.problem });
  }
  const keep = a.session.idHash;
  if (change === 'disable') {
    const r = await deps.store.disableTotp(a.admin.id, keep);
    deps.log.info({ event: 'admin-2fa', action: 'disabled', admin: a.admin.name, revoked_sessions: r.revokedSessions, client_ip: ctx.fwd.clientIp }, 'TOTP turned off');
    return redirect(ctx.res, link(ctx.settings, '/2fa?state=off'), { status: 303 });
  }
  const { codes, hashes } = newRecoveryCodes();
  const r = await deps.store.replaceRecoveryCodes(a.admin.id, hashes, keep);
  deps.log.info({ event: 'admin-2fa', action: 'new-recovery-codes', admin: a.admin.name, revoked_sessions: r.revokedSessions, client_ip: ctx.fwd.clientIp }, 'new recovery codes');
  sendHtml(ctx.res, 200, recoveryCodesPage(ctx.settings, who(ctx), codes, 'New recovery codes: the old ones no longer work, and your other sessions were ended.'));
}
