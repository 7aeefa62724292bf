/**
 * Logins with an app password (issue 5 item 6), tried first by passwordLogin for a password of
 * the app-password shape (src/app-passwords/secret.ts):
 *
 *   - Not one of this mailbox's app passwords: null, and the password is checked as the
 *     mailbox's own, exactly as without app passwords (so a real password that happens to have
 *     the shape still works, and a wrong one fails as bad-credentials).
 *   - Found but revoked, expired, or outside its protocols or networks: refused with the same
 *     answer as a wrong password (the reason in the log says which), after a dummy verification
 *     so it also costs what a wrong password costs. The defence counts it as a failure.
 *   - Found and in scope: admitted like a password login, so the mailbox's own rules (enabled,
 *     protocols, networks, route, backend login) still apply on top of the app password's.
 *
 * It runs before the defence's account protection and before the mailbox's own password is
 * looked at: that protection is against guessing a person's password, and 80 random bits cannot
 * be guessed, so a phone with an app password keeps working while someone hammers the password
 * (and a mailbox without a password of its own may use app passwords only). Found or not, the
 * answer to a guess is the same as before, so nothing is revealed.
 *
 * Never through the auth cache (src/cache/credential-cache.ts): the cache remembers that a
 * password matched the mailbox's hash, and knows nothing of an app password's protocols,
 * networks, expiry or revocation. An app password is found by one indexed lookup by value, which
 * the directory's lookup memory already keeps, so there is nothing to save anyway.
 */
import { appPasswordHash, judgeAppPassword, type AppPasswordVerdict } from '../app-passwords/index.js';
import type { AuthRequest } from '../authhttp/types.js';
import type { DirectoryReader, Mailbox } from '../directory/types.js';
import type { Login } from './backend-login.js';
import type { Outcome, PasswordVerifier, Trace } from './decide.js';
import type { Reason, RefusalKind } from './outcome.js';

export interface AppPasswordContext {
  directory: DirectoryReader;
  passwords: PasswordVerifier;
  now: () => Date;
  canonicalLogin(req: AuthRequest, address: string): { user?: string };
  refuse(kind: RefusalKind, reason: Reason, req: AuthRequest, extra?: Partial<Outcome>): Outcome;
  admit(req: AuthRequest, mailbox: Mailbox, t: Trace, login: Login): Promise<Outcome>;
}

const REFUSED: Record<Exclude<AppPasswordVerdict, 'ok'>, { reason: Reason; why: string }> = {
  revoked: { reason: 'app-password-revoked', why: 'it was revoked' },
  expired: { reason: 'app-password-expired', why: 'it has expired' },
  protocol: { reason: 'app-password-out-of-scope', why: 'it is not for this protocol' },
  network: { reason: 'app-password-out-of-scope', why: "the client is outside its networks" },
};

/** The outcome of an app-password login, or null when the password is not one of the mailbox's app passwords. */
export function createAppPasswordLogin(ctx: AppPasswordContext): (req: AuthRequest, mailbox: Mailbox, t: Trace) => Promise<Outcome | null> {
  return async function appPasswordLogin(req, mailbox, t) {
    const hash = appPasswordHash(req.pass);
    if (hash === null) return null;
    const ap = await ctx.directory.findAppPassword(mailbox.id, hash);
    if (!ap) {
      t?.push("the password has the shape of an app password but is none of this mailbox's: checked as the mailbox's password");
      return null;
    }
    const label = ap.label;
    const verdict = judgeAppPassword(ap, req.protocol, req.clientIp, ctx.now());
    if (verdict !== 'ok') {
      const r = REFUSED[verdict];
      await ctx.passwords.dummyVerify(req.pass);
      t?.push(`app password ${ap.id} (${JSON.stringify(label)}) refused: ${r.why} (${req.protocol} from ${req.clientIp}; it allows ${ap.protocols.join(', ')} from ${ap.networks.join(', ') || 'anywhere'}${ap.expiresAt ? `, until ${ap.expiresAt}` : ''})`);
      return ctx.refuse('invalid', r.reason, req, { mailbox: mailbox.address, appPassword: label });
    }
    t?.push(`app password ${ap.id} (${JSON.stringify(label)}) accepted for ${req.protocol}; the mailbox's own rules apply next`);
    const out = await ctx.admit(req, mailbox, t, ctx.canonicalLogin(req, mailbox.address));
    return out.decision.kind === 'ok' ? { ...out, appPassword: label, appPasswordId: ap.id } : { ...out, appPassword: label };
  };
}
