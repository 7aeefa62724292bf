/**
 * The second factor in the API: GET /api/v1/2fa reads its state; POST /api/v1/2fa/enrol,
 * /confirm, /recovery-codes and /disable change it through the same operations as the console's
 * pages (two-factor.ts), with the same rules, session consequences and audit lines.
 *
 * The changes are for a person in a console session only: a request authenticated with an API
 * token is refused (`session-required`), so a script (or a leaked token) can never set up,
 * replace or turn off a human's second factor. A session's changes pass the same Origin and
 * CSRF checks as every other change made with a cookie (app.ts).
 *
 * A wrong, malformed or replayed code is a 400 or 403 problem here, never a 401: in this API a
 * 401 always means the request itself is not signed in.
 */
import { z } from 'zod';
import { actorOf } from './actor.js';
import type { ConsoleDeps, Ctx } from './context.js';
import { readJson, sendJson, setCookie } from './http-io.js';
import { apiError, authErrors, json, parseBody, problemResponse, ref, registry, type ApiRoute } from './kit.js';
import { beginTotpEnrolment, changeSecondFactor, confirmTotpEnrolment, type Refusal } from './two-factor.js';

const TwoFactor = z
  .object({
    state: z.enum(['on', 'pending', 'off']).describe('pending: enrolment started, not yet confirmed with a code'),
    required: z.boolean().describe('an operator requires 2FA for this admin (postern admin require-2fa)'),
    enabledAt: z.string().nullable(),
    recoveryCodesLeft: z.number().int(),
  })
  .describe('the second factor of the signed-in admin; never the TOTP secret or a recovery code')
  .register(registry, { id: 'TwoFactor' });
z.object({
  state: z.literal('pending'),
  secret: z.string().describe('the TOTP key as RFC 4648 base32 (SHA-1, 6 digits, 30 s): in this answer only'),
  uri: z.string().describe('the same key as an otpauth://totp/ URI, for a QR code: in this answer only'),
})
  .describe('a pending enrolment: add the key to an authenticator app, then confirm with a code from it')
  .register(registry, { id: 'TwoFactorEnrolment' });
const recoveryCodes = z.array(z.string()).describe('10 recovery codes (XXXX-XXXX-XXXX-XXXX), each good for one sign-in: in this answer only, Postern keeps just their hashes');
z.object({
  state: z.literal('on'),
  recoveryCodes,
  csrfToken: z.string().describe('the CSRF token of the new session (its cookie is set by this answer): every session of the admin, this one too, ended'),
}).register(registry, { id: 'TwoFactorEnabled' });
z.object({ recoveryCodes }).register(registry, { id: 'TwoFactorRecoveryCodes' });
const TwoFactorCode = z
  .object({ code: z.string().describe('the 6-digit code the authenticator app shows now; where a change is asked for, a recovery code also does') })
  .strict()
  .register(registry, { id: 'TwoFactorCode' });

async function stateOf(deps: ConsoleDeps, adminId: number): Promise<z.infer<typeof TwoFactor>> {
  const t = await deps.store.getTotp(adminId);
  return { state: t.enabledAt !== null ? 'on' : t.secret !== null ? 'pending' : 'off', required: t.required, enabledAt: t.enabledAt, recoveryCodesLeft: t.recoveryCodesLeft };
}

/** Refuses a request made with an API token; true when it did. */
function tokenRefused(ctx: Ctx): boolean {
  if (ctx.auth!.kind !== 'token') return false;
  apiError(ctx, 403, 'session-required', 'a second factor is changed only by its admin in a console session, never with an API token: sign in to the console (Two-factor page)');
  return true;
}

/** An operation's refusal as a problem; a failed code check is 403 (401 is for requests that are not signed in). */
const refused = (ctx: Ctx, r: Refusal): void => apiError(ctx, r.status === 401 ? 403 : r.status, r.problem.code, r.problem.message);

/** The `{code}` body, or null when it answered 400. */
async function codeBody(ctx: Ctx): Promise<string | null> {
  return parseBody(ctx, TwoFactorCode, await readJson(ctx.req), '{"code": "123456"}')?.code ?? null;
}

export const twoFactorApi: readonly ApiRoute[] = [
  { method: 'GET', path: /^\/api\/v1\/2fa$/, run: async (ctx, deps) => sendJson(ctx.res, 200, await stateOf(deps, ctx.auth!.admin.id)) },
  {
    method: 'POST',
    path: /^\/api\/v1\/2fa\/enrol$/,
    run: async (ctx, deps) => {
      if (tokenRefused(ctx)) return;
      const r = await beginTotpEnrolment(deps, actorOf(ctx, 'api'));
      if (!r.ok) return refused(ctx, r);
      sendJson(ctx.res, 200, { state: 'pending', secret: r.enrolment.secret, uri: r.enrolment.uri });
    },
  },
  {
    method: 'POST',
    path: /^\/api\/v1\/2fa\/confirm$/,
    run: async (ctx, deps) => {
      if (tokenRefused(ctx)) return;
      const code = await codeBody(ctx);
      if (code === null) return;
      const r = await confirmTotpEnrolment(ctx, deps, actorOf(ctx, 'api'), code);
      if (!r.ok) return refused(ctx, r);
      sendJson(ctx.res, 200, { state: 'on', recoveryCodes: r.codes, csrfToken: r.session.csrf }, { cookies: [setCookie(ctx.settings.cookie, r.session.id)] });
    },
  },
  {
    method: 'POST',
    path: /^\/api\/v1\/2fa\/recovery-codes$/,
    run: async (ctx, deps) => {
      if (tokenRefused(ctx)) return;
      const code = await codeBody(ctx);
      if (code === null) return;
      const r = await changeSecondFactor(ctx, deps, actorOf(ctx, 'api'), 'new-recovery-codes', code);
      if (!r.ok) return refused(ctx, r);
      sendJson(ctx.res, 200, { recoveryCodes: r.codes });
    },
  },
  {
    method: 'POST',
    path: /^\/api\/v1\/2fa\/disable$/,
    run: async (ctx, deps) => {
      if (tokenRefused(ctx)) return;
      const code = await codeBody(ctx);
      if (code === null) return;
      const r = await changeSecondFactor(ctx, deps, actorOf(ctx, 'api'), 'disable', code);
      if (!r.ok) return refused(ctx, r);
      sendJson(ctx.res, 200, await stateOf(deps, ctx.auth!.admin.id));
    },
  },
];

const codeRequest = { required: true, content: json(ref('TwoFactorCode')) };
const sessionOnly = 'Only with a console session (and its `X-CSRF-Token`): a request made with an API token is refused (`session-required`).';
const refusedErrors = (extra: string) => ({
  ...authErrors,
  '403': problemResponse(`refused: origin check or CSRF token (\`csrf-token-mismatch\`), a request made with an API token (\`session-required\`)${extra}`),
});
const codeErrors = {
  '400': problemResponse('no valid `{"code"}` body (`invalid-body`, `bad-json`), or not a code at all (`bad-code`)'),
  '409': problemResponse('2FA is not on (`two-factor-off`)'),
  '503': problemResponse('the TOTP key cannot be read on this server (`totp-unreadable`): use a recovery code'),
};

export const twoFactorPaths: Record<string, unknown> = {
  '/2fa': { get: { summary: 'My second factor (state, whether required, recovery codes left)', responses: { '200': { description: 'never the secret or a code', content: json(ref('TwoFactor')) }, ...authErrors } } },
  '/2fa/enrol': {
    post: {
      summary: 'Start (or restart) setting up TOTP for me; the key is in this answer only',
      description: `${sessionOnly} The enrolment stays pending until POST /2fa/confirm; starting again replaces the key.`,
      responses: {
        '200': { description: 'the new key, pending', content: json(ref('TwoFactorEnrolment')) },
        '409': problemResponse('2FA is already on (`two-factor-already-on`: turn it off first), or the vault is off on this server (`vault-off`)'),
        ...refusedErrors(''),
      },
    },
  },
  '/2fa/confirm': {
    post: {
      summary: 'Turn 2FA on with a first code from the app; the recovery codes are in this answer only',
      description: `${sessionOnly} Every session of mine ends, this one too: the answer sets a new session cookie and carries its CSRF token. The code's time step counts as used (it cannot be used again).`,
      requestBody: codeRequest,
      responses: {
        '200': { description: '2FA is on', content: json(ref('TwoFactorEnabled')) },
        '400': problemResponse('no valid `{"code"}` body (`invalid-body`, `bad-json`), or a code that is malformed or does not match the pending key (`bad-code`)'),
        '409': problemResponse('2FA is already on (`two-factor-already-on`), nothing is pending (`no-pending-enrolment`), or the enrolment changed meanwhile (`enrolment-changed`)'),
        '503': problemResponse('the pending key cannot be read on this server (`totp-unreadable`): start over'),
        ...refusedErrors(''),
      },
    },
  },
  '/2fa/recovery-codes': {
    post: {
      summary: 'New recovery codes for me (the old ones stop working); they are in this answer only',
      description: `${sessionOnly} Needs a current code (TOTP, each time step once, or a recovery code). My other sessions end; this one stays.`,
      requestBody: codeRequest,
      responses: {
        '200': { description: 'the new codes', content: json(ref('TwoFactorRecoveryCodes')) },
        ...codeErrors,
        ...refusedErrors(', or a wrong or used code (`bad-code`, `code-already-used`, `bad-recovery-code`)'),
      },
    },
  },
  '/2fa/disable': {
    post: {
      summary: 'Turn 2FA off for me',
      description: `${sessionOnly} Needs a current code (TOTP, each time step once, or a recovery code). My other sessions end; this one stays. Refused when an operator requires 2FA for me (postern admin require-2fa).`,
      requestBody: codeRequest,
      responses: {
        '200': { description: '2FA is off', content: json(ref('TwoFactor')) },
        ...codeErrors,
        ...refusedErrors(', a wrong or used code (`bad-code`, `code-already-used`, `bad-recovery-code`), or 2FA required by an operator (`two-factor-required`)'),
      },
    },
  },
};
