/**
 * Who is asking: a console session (cookie) or an API token (Bearer), and the login and
 * logout flows. Login answers an unknown name exactly as a wrong password, after a dummy
 * argon2 verification of the same cost; limits apply per resolved client IP and per name
 * (src/admin/login-defence.ts); every login makes a new session id, and an admin with 2FA
 * first gets a half session that can only pass the second factor (two-factor.ts). The login form proves the
 * browser returns cookies in the console's scope (a check cookie set by the login page), so
 * mox #151's failure is reported, with its fix, before any password is checked.
 */
import {
  bearerToken,
  checkSession,
  csrfToken,
  hashApiToken,
  hashSessionId,
  newSession,
  shouldTouch,
  type Admin,
  type SessionRefusal,
  type SessionStage,
} from '../admin/index.js';
import { checkOrigin, resolveRedirect } from '../http/index.js';
import { clientIp, type Auth, type ConsoleDeps, type Ctx } from './context.js';
import { findingsFor } from './diagnostics.js';
import { clearCookie, readForm, redirect, sendHtml, setCookie } from './http-io.js';
import { link } from './views/layout.js';
import { loginPage, type LoginProblem } from './views/login.js';

export type AuthResult = { auth: Auth | null; refused?: { reason: SessionRefusal | 'bad-token'; detail: string } };

export async function resolveAuth(ctx: Ctx, deps: ConsoleDeps, api: boolean): Promise<AuthResult> {
  const header = ctx.req.headers.authorization;
  if (api && header !== undefined) {
    const token = bearerToken(header);
    const hash = token === null ? null : hashApiToken(token);
    const found = hash === null ? null : await deps.store.findApiToken(hash);
    const admin = found === null ? null : await deps.store.getAdminById(found.adminId);
    if (!found || !admin) return { auth: null, refused: { reason: 'bad-token', detail: 'the Bearer token is not a live Postern API token (see "postern admin token list")' } };
    if (found.lastUsedAt === null || ctx.now.getTime() - Date.parse(found.lastUsedAt) >= 60_000) await deps.store.touchApiToken(found.id, ctx.now.toISOString());
    return { auth: { kind: 'token', admin, token: found } };
  }
  const id = ctx.cookies.get(ctx.settings.cookie.name);
  if (id === undefined || id === '') return { auth: null };
  const idHash = hashSessionId(id);
  const session = idHash === null ? null : await deps.store.getSession(idHash);
  if (!session) return { auth: null, refused: { reason: 'revoked', detail: 'the session cookie names no session (it ended, or the database was replaced)' } };
  const check = checkSession(session, ctx.fwd.clientIp, ctx.now, ctx.settings.session);
  if (!check.ok) {
    deps.log.info({ event: 'admin-session-refused', reason: check.reason, admin_id: session.adminId, client_ip: ctx.fwd.clientIp }, check.detail);
    return { auth: null, refused: { reason: check.reason, detail: check.detail } };
  }
  const admin = await deps.store.getAdminById(session.adminId);
  if (!admin) return { auth: null, refused: { reason: 'revoked', detail: 'the admin of this session was removed' } };
  if (shouldTouch(session, ctx.now)) await deps.store.touchSession(session.idHash, ctx.now.toISOString());
  return { auth: { kind: 'session', admin, session, sessionId: id, csrf: csrfToken(id) } };
}

const NOTICES: Record<string, string> = {
  'logged-out': 'You are logged out.',
  idle: 'Your session ended because it was unused for too long. Please sign in again.',
  expired: 'Your session reached its maximum length. Please sign in again.',
  revoked: 'Your session was ended (revoked, or the password changed). Please sign in again.',
  'client-changed': 'Your session is bound to the address you signed in from, and this request came from another. Please sign in again.',
  'sign-in': 'Please sign in to continue.',
};

/** An app path to go to after login: only paths under the public URL (never an open redirect). */
export function safeNext(ctx: Ctx, next: string | null): string {
  if (next === null || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/login')) return '/dashboard';
  return resolveRedirect(ctx.settings.publicUrl, next).ok ? next : '/dashboard';
}

function renderLogin(ctx: Ctx, status: number, opts: { next: string; name?: string; notice?: string; problem?: LoginProblem; findings?: ReturnType<typeof findingsFor> }): void {
  const s = ctx.settings;
  // Proxy problems the operator must see at the door; information-only findings wait for the diagnostics page.
  const findings = (opts.findings ?? findingsFor(ctx)).filter((f) => f.severity !== 'info');
  sendHtml(ctx.res, status, loginPage({ settings: s, next: opts.next, findings, ...(opts.name ? { name: opts.name } : {}), ...(opts.notice ? { notice: opts.notice } : {}), ...(opts.problem ? { problem: opts.problem } : {}) }), {
    cookies: [setCookie(s.checkCookie, '1', { maxAgeSeconds: 3600 })],
  });
}

export async function showLogin(ctx: Ctx, deps: ConsoleDeps): Promise<void> {
  const next = safeNext(ctx, ctx.query.get('next'));
  const { auth } = await resolveAuth(ctx, deps, false);
  // A half session may start over here (its next login replaces it); a full one has nothing to do.
  if (auth?.kind === 'session' && auth.session.stage === 'full') return redirect(ctx.res, link(ctx.settings, next));
  const reason = ctx.query.get('reason');
  renderLogin(ctx, 200, { next, ...(reason !== null && NOTICES[reason] ? { notice: NOTICES[reason] } : {}) });
}

export async function doLogin(ctx: Ctx, deps: ConsoleDeps): Promise<void> {
  const s = ctx.settings;
  const form = await readForm(ctx.req);
  const name = (form.get('name') ?? '').trim().toLowerCase();
  const password = form.get('password') ?? '';
  const next = safeNext(ctx, form.get('next'));
  const ip = clientIp(ctx);
  const origin = checkOrigin(s.publicUrl, 'POST', ctx.headers);
  if (!origin.ok) {
    deps.log.info({ event: 'admin-login', result: 'refused', reason: origin.error.code, client_ip: ip }, 'console login refused by the origin check');
    return renderLogin(ctx, 403, { next, name, problem: { code: origin.error.code, message: origin.error.detail }, findings: findingsFor(ctx, { origin: true }) });
  }
  if (!ctx.cookies.has(s.checkCookie.name)) {
    deps.log.info({ event: 'admin-login', result: 'refused', reason: 'cookie-not-returned', client_ip: ip }, 'the browser did not return the console cookie');
    return renderLogin(ctx, 400, {
      next,
      name,
      problem: { code: 'cookie-not-returned', message: 'Your browser did not send back the cookie the login page set, so a session could not work. What Postern sees, and how to fix it, is below.' },
      findings: findingsFor(ctx, { cookieName: s.checkCookie.name }),
    });
  }
  if (name === '' || password === '') return renderLogin(ctx, 400, { next, name, problem: { code: 'missing-fields', message: 'Enter your admin name and password.' } });
  const gate = await deps.defence.admits(ip, name);
  if (!gate.ok) {
    deps.log.info({ event: 'admin-login', result: 'refused', reason: 'too-many-failures', limit: gate.limit, admin: name, client_ip: ip }, 'console login refused: too many failures');
    return renderLogin(ctx, 429, { next, name, problem: { code: 'too-many-failures', message: `Too many failed logins. Try again in ${gate.retryMinutes} minutes.` } });
  }
  const admin = await deps.store.getAdmin(name);
  const good = admin ? await deps.passwords.verify(admin.passwordHash, password) : await deps.passwords.dummyVerify(password);
  if (!admin || !good) {
    await deps.defence.failed(ip, name, password);
    deps.log.info({ event: 'admin-login', result: 'fail', reason: admin ? 'bad-credentials' : 'unknown-admin', admin: name, client_ip: ip }, 'console login failed');
    return renderLogin(ctx, 401, { next, name, problem: { code: 'bad-credentials', message: 'Wrong admin name or password.' } });
  }
  // With 2FA the password opens only a half session (two-factor.ts); the limits' success (which
  // clears this client's failure count) waits for the second factor.
  const totp = await deps.store.getTotp(admin.id);
  const stage: SessionStage = totp.enabledAt !== null ? 'second-factor' : totp.required ? 'enrol' : 'full';
  if (stage !== 'second-factor') await deps.defence.succeeded(ip, name);
  // A new id at every login, and the session this browser had (if any) ends: no fixation.
  const old = ctx.cookies.get(s.cookie.name);
  const oldHash = old === undefined ? null : hashSessionId(old);
  if (oldHash !== null) await deps.store.revokeSession(admin.id, oldHash);
  const fresh = await startSession(ctx, deps, admin, stage);
  const cookies = [setCookie(s.cookie, fresh.id), clearCookie(s.checkCookie)];
  if (stage === 'second-factor') {
    deps.log.info({ event: 'admin-login', result: 'pending', reason: 'second-factor-needed', admin: admin.name, client_ip: ip }, 'console password accepted; second factor next');
    return redirect(ctx.res, link(s, `/login/2fa?next=${encodeURIComponent(next)}`), { status: 303, cookies });
  }
  if (stage === 'enrol') {
    deps.log.info({ event: 'admin-login', result: 'pending', reason: 'two-factor-enrolment-required', admin: admin.name, client_ip: ip }, 'console password accepted; 2FA is required and not set up');
    return redirect(ctx.res, link(s, '/2fa'), { status: 303, cookies });
  }
  deps.log.info({ event: 'admin-login', result: 'ok', factor: 'password', admin: admin.name, client_ip: ip }, 'console login');
  redirect(ctx.res, link(s, next), { status: 303, cookies });
}

/** A new session with a new random id for this browser; only the id's hash is stored. */
export async function startSession(ctx: Ctx, deps: ConsoleDeps, admin: Admin, stage: SessionStage = 'full'): Promise<{ id: string; csrf: string }> {
  const fresh = newSession({ adminId: admin.id, clientIp: clientIp(ctx), userAgent: ctx.req.headers['user-agent'] ?? '', now: ctx.now, policy: ctx.settings.session, stage });
  await deps.store.createSession(fresh.record);
  return { id: fresh.id, csrf: csrfToken(fresh.id) };
}

export async function doLogout(ctx: Ctx, deps: ConsoleDeps): Promise<void> {
  const auth = ctx.auth;
  if (auth?.kind === 'session') {
    await deps.store.revokeSession(auth.admin.id, auth.session.idHash);
    deps.log.info({ event: 'admin-logout', admin: auth.admin.name, client_ip: ctx.fwd.clientIp }, 'console logout');
  }
  redirect(ctx.res, link(ctx.settings, '/login?reason=logged-out'), { status: 303, cookies: [clearCookie(ctx.settings.cookie)] });
}
