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
 * - Enrolment, confirmation, new recovery codes and turning 2FA off are one operation each
 *   (beginTotpEnrolment, confirmTotpEnrolment, changeSecondFactor), called by the pages below and
 *   by the API (two-factor-api.ts) alike, so both enforce the same rules and write the same
 *   `admin-2fa` audit line (actor.ts; `via` says which).
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
import { actorOf, audit, type Actor } from './actor.js';
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

/** The signed-in admin's session: the second factor is never open to an API token. */
const session = (ctx: Ctx) => {
  const a = ctx.auth;
  if (a?.kind !== 'session') throw new Error('a console session is required here');
  return a;
};

export async function showSecondFactor(ctx: Ctx): Promise<void> {
  const a = session(ctx);
  sendHtml(ctx.res, 200, secondFactorPage(ctx.settings, { csrf: a.csrf, name: a.admin.name, next: safeNext(ctx, ctx.query.get('next')) }));
}

/**
 * verifySecondFactor behind the console login limits, wherever a code is asked for (the login's
 * code step, and new recovery codes or turning 2FA off in a signed-in session): refused while
 * the client or the admin is over the limits, and a wrong code counted like a wrong password
 * (distinct values only), so a stolen session cannot guess codes either. A code that checks out
 * does not clear the counts here: at login, the caller records the success.
 */
async function limitedSecondFactor(ctx: Ctx, deps: ConsoleDeps, admin: Admin, state: TotpState, code: string): Promise<Verified> {
  const ip = clientIp(ctx);
  const gate = await deps.defence.admits(ip, admin.name);
  if (!gate.ok) {
    return { ok: false, status: 429, problem: { code: 'too-many-failures', message: `Too many failed logins. Try again in ${gate.retryMinutes} minutes.` }, reason: 'too-many-failures' };
  }
  const v = await verifySecondFactor(ctx, deps, admin, state, code);
  // Under a prefix no password digest shares; an unreadable seed is the server's fault, not a guess.
  if (!v.ok && v.reason !== 'totp-unreadable') await deps.defence.failed(ip, admin.name, `second-factor\0${code.replace(/[\s-]/g, '').toUpperCase()}`);
  return v;
}

/** POST /login/2fa with a half session. */
export async function submitSecondFactor(ctx: Ctx, deps: ConsoleDeps, form: URLSearchParams): Promise<void> {
  const a = session(ctx);
  const s = ctx.settings;
  const ip = clientIp(ctx);
  const name = a.admin.name;
  const next = safeNext(ctx, form.get('next'));
  const again = (status: number, problem: Problem) => sendHtml(ctx.res, status, secondFactorPage(s, { csrf: a.csrf, name, next, problem }));
  const state = await deps.store.getTotp(a.admin.id);
  if (state.enabledAt === null) {
    // 2FA was turned off or reset since the password step: start again from the password.
    await deps.store.revokeSession(a.admin.id, a.session.idHash);
    return redirect(ctx.res, link(s, '/login?reason=sign-in'), { status: 303, cookies: [clearCookie(s.cookie)] });
  }
  const v = await limitedSecondFactor(ctx, deps, a.admin, state, form.get('code') ?? '');
  if (!v.ok) {
    if (v.reason === 'too-many-failures') deps.log.info({ event: 'admin-login', result: 'refused', reason: 'too-many-failures', step: 'second-factor', admin: name, client_ip: ip }, 'console login refused: too many failures');
    else deps.log.info({ event: 'admin-login', result: 'fail', reason: v.reason, step: 'second-factor', admin: name, client_ip: ip }, 'console login failed at the second factor');
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
    // The one page that shows a TOTP secret (the API's enrolment answer is the other place).
    const { secretText, uri } = enrolmentOf(deps, a.admin.name, opened.secret);
    const qr = qrSvg(uri);
    return { kind: 'enrol', required: state.required, enrol: { secretText, uri, ...(qr ? { qrSvg: qr } : {}) }, ...(extra.problem ? { problem: extra.problem } : {}) };
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

// ---- the operations: one function each, called by the pages (below) and the API (two-factor-api.ts) ----

/** Why an operation said no: an HTTP status, a stable code with its message, and the reason logged. */
export type Refusal = { ok: false; status: number; problem: Problem; reason: string };
const refuse = (status: number, code: string, message: string): Refusal => ({ ok: false, status, problem: { code, message }, reason: code });

/** A pending enrolment as an authenticator app takes it; shown once, never logged. */
export interface Enrolment {
  /** The seed as RFC 4648 base32, no spaces. */
  secret: string;
  /** The same in groups of four, for typing by hand. */
  secretText: string;
  /** The otpauth://totp/ URI (for a QR code or a link). */
  uri: string;
}

function enrolmentOf(deps: ConsoleDeps, adminName: string, seed: Buffer): Enrolment {
  const secretText = totpSecretText(seed);
  return { secret: secretText.replace(/ /g, ''), secretText, uri: totpUri(seed, ISSUER, `${adminName}@${deps.settings.publicUrl.host}`) };
}

/** Starts (or restarts) enrolment: a new seed, stored encrypted, pending until a code confirms it. */
export async function beginTotpEnrolment(deps: ConsoleDeps, by: Actor): Promise<{ ok: true; enrolment: Enrolment } | Refusal> {
  if (deps.keyring === null) return refuse(409, 'vault-off', 'Two-factor authentication cannot be set up on this server: the vault is off (no [vault] keys).');
  const seed = newTotpSecret();
  try {
    const ciphertext = encrypt(deps.keyring, 'totp', seed, totpSecretBinding(by.adminId));
    if (!(await deps.store.beginTotp(by.adminId, ciphertext))) {
      return refuse(409, 'two-factor-already-on', 'Two-factor authentication is already on: turn it off first to use another authenticator.');
    }
    audit(deps, by, 'admin-2fa', { action: 'enrolment-started' }, 'TOTP enrolment started');
    return { ok: true, enrolment: enrolmentOf(deps, by.admin, seed) };
  } finally {
    seed.fill(0);
  }
}

/**
 * Confirms the pending enrolment with a first code: 2FA on, the code's time step used, 10 new
 * recovery codes (in clear only in this answer), every session of the admin ended (this one too)
 * and a new session started for the caller, whose cookie and CSRF token the answer carries.
 */
export async function confirmTotpEnrolment(ctx: Ctx, deps: ConsoleDeps, by: Actor, code: string): Promise<{ ok: true; codes: string[]; session: { id: string; csrf: string } } | Refusal> {
  const a = session(ctx);
  const state = await deps.store.getTotp(by.adminId);
  if (state.enabledAt !== null) return refuse(409, 'two-factor-already-on', 'Two-factor authentication is already on.');
  if (state.secret === null) return refuse(409, 'no-pending-enrolment', 'No enrolment is pending: start one first (a new key), then confirm it with a code from the app.');
  const opened = openSecret(deps, state);
  if (!opened.ok) return refuse(503, 'totp-unreadable', `The pending TOTP key cannot be read on this server (${opened.detail}). Start over with a new key.`);
  let step: number;
  try {
    const check = checkTotp(opened.secret, code, ctx.now, state.lastStep);
    if (!check.ok) {
      return check.reason === 'malformed'
        ? refuse(400, 'bad-code', 'Enter the 6 digits your authenticator app shows.')
        : refuse(400, 'bad-code', 'That code does not match this key. Check the phone\'s clock, or start over with a new key.');
    }
    step = check.step;
  } finally {
    opened.secret.fill(0);
  }
  const { codes, hashes } = newRecoveryCodes();
  // Every session of the admin ends (this one too); the caller continues under a new id.
  const r = await deps.store.enableTotp(by.adminId, state.secret, step, hashes, null);
  if (!r.ok) return refuse(409, 'enrolment-changed', 'The enrolment changed meanwhile (another tab?). Look at its state again.');
  const fresh = await startSession(ctx, deps, a.admin);
  audit(deps, by, 'admin-2fa', { action: 'enabled', revoked_sessions: r.revokedSessions }, 'TOTP turned on');
  return { ok: true, codes, session: fresh };
}

export type TwoFactorChange = 'new-recovery-codes' | 'disable';

/**
 * New recovery codes, or 2FA off: both need a current code (TOTP, its time step claimed once, or
 * a recovery code; wrong ones count towards the login limits) and end every other session of
 * the admin; this one stays. An admin an
 * operator requires to use 2FA cannot turn it off. `codes`: the new recovery codes (in clear
 * only in this answer), null when 2FA was turned off.
 */
export async function changeSecondFactor(ctx: Ctx, deps: ConsoleDeps, by: Actor, change: TwoFactorChange, code: string): Promise<{ ok: true; codes: string[] | null } | Refusal> {
  const a = session(ctx);
  const state = await deps.store.getTotp(by.adminId);
  if (state.enabledAt === null) return refuse(409, 'two-factor-off', 'Two-factor authentication is not on: there is nothing to change.');
  if (change === 'disable' && state.required) {
    return refuse(403, 'two-factor-required', `An operator requires two-factor authentication for ${a.admin.name}; it cannot be turned off here.`);
  }
  const v = await limitedSecondFactor(ctx, deps, a.admin, state, code);
  if (!v.ok) {
    audit(deps, by, 'admin-2fa', { action: change, result: 'fail', reason: v.reason }, 'second-factor change refused');
    return v;
  }
  const keep = a.session.idHash;
  if (change === 'disable') {
    const r = await deps.store.disableTotp(by.adminId, keep);
    audit(deps, by, 'admin-2fa', { action: 'disabled', revoked_sessions: r.revokedSessions }, 'TOTP turned off');
    return { ok: true, codes: null };
  }
  const { codes, hashes } = newRecoveryCodes();
  const r = await deps.store.replaceRecoveryCodes(by.adminId, hashes, keep);
  audit(deps, by, 'admin-2fa', { action: 'new-recovery-codes', revoked_sessions: r.revokedSessions }, 'new recovery codes');
  return { ok: true, codes };
}

// ---- the pages ----

/** POST /2fa/enrol: a new seed, pending until confirmed with a code (shown by GET /2fa). */
export async function startEnrolment(ctx: Ctx, deps: ConsoleDeps): Promise<void> {
  const r = await beginTotpEnrolment(deps, actorOf(ctx, 'page'));
  if (!r.ok) return render(ctx, deps, r.status, { problem: r.problem });
  redirect(ctx.res, link(ctx.settings, '/2fa'), { status: 303 });
}

/** POST /2fa/confirm: the first code turns 2FA on, shows the recovery codes once, and makes a new session id. */
export async function confirmEnrolment(ctx: Ctx, deps: ConsoleDeps, form: URLSearchParams): Promise<void> {
  const a = session(ctx);
  const r = await confirmTotpEnrolment(ctx, deps, actorOf(ctx, 'page'), form.get('code') ?? '');
  if (!r.ok) {
    if (r.problem.code === 'two-factor-already-on' || r.problem.code === 'no-pending-enrolment') return redirect(ctx.res, link(ctx.settings, '/2fa'), { status: 303 });
    // The page itself explains an unreadable key (its own state), so that one carries no extra box.
    return render(ctx, deps, r.status, r.problem.code === 'totp-unreadable' ? {} : { problem: r.problem });
  }
  sendHtml(ctx.res, 200, recoveryCodesPage(ctx.settings, { name: a.admin.name, csrf: r.session.csrf }, r.codes, 'Two-factor authentication is on. Your other sessions were ended.'), {
    cookies: [setCookie(ctx.settings.cookie, r.session.id)],
  });
}

/** POST /2fa/recovery-codes and /2fa/disable: both need a current code. */
export async function changeTwoFactor(ctx: Ctx, deps: ConsoleDeps, form: URLSearchParams, change: TwoFactorChange): Promise<void> {
  const r = await changeSecondFactor(ctx, deps, actorOf(ctx, 'page'), change, form.get('code') ?? '');
  if (!r.ok) {
    if (r.problem.code === 'two-factor-off') return redirect(ctx.res, link(ctx.settings, '/2fa'), { status: 303 });
    return render(ctx, deps, r.status, { problem: r.problem });
  }
  if (r.codes === null) return redirect(ctx.res, link(ctx.settings, '/2fa?state=off'), { status: 303 });
  sendHtml(ctx.res, 200, recoveryCodesPage(ctx.settings, who(ctx), r.codes, 'New recovery codes: the old ones no longer work, and your other sessions were ended.'));
}
