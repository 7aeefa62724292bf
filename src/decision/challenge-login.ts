/**
 * APOP and CRAM-MD5 logins (issue 4): the client proves it knows the mailbox's reversible
 * credential by a digest over nginx's salt, so Postern must read that credential back from
 * the vault, check the digest (challenge.ts), and answer nginx with the credential itself in
 * `Auth-Pass`: nginx needs it to log in to an IMAP/POP3 backend (nginx-auth-http.md §2.2),
 * unless the backend has a master user, whose password then takes its place (backend-login.ts).
 *
 * Rules that differ from password logins:
 *   - Never WAIT and never Auth-Wait: nginx's retry carries no digest (§2.4). refuse() already
 *     leaves Auth-Wait out for these methods.
 *   - No legacy route for unknown users: the old server could not be given a password.
 *   - No auth cache: each digest is good for one salt only.
 *   - A credential that cannot be decrypted is a temporary failure naming its key id (for the
 *     log), never "wrong password" and never an empty or encrypted Auth-Pass.
 * A refusal costs about what a wrong digest costs (a vault decryption and an MD5), so timing
 * does not tell an unknown user or a mailbox without a credential from a wrong digest.
 */
import type { AuthRequest } from '../authhttp/types.js';
import { reversibleSecretBinding, type DirectoryReader, type Mailbox } from '../directory/types.js';
import { decrypt, describeUndecryptable, encrypt, type Keyring } from '../vault/index.js';
import { reversibleSecretProblem, verifyDigest, type ChallengeMethod } from './challenge.js';
import type { Login } from './backend-login.js';
import type { Outcome, Trace } from './decide.js';
import type { Reason, RefusalKind } from './outcome.js';

export interface ChallengeContext {
  directory: DirectoryReader;
  /** null: the vault is off, and these methods are refused as unsupported. */
  keyring: Keyring | null;
  admitsAccount?: (mailbox: Mailbox, req: AuthRequest) => Promise<boolean>;
  loginAddress(raw: Buffer, t: Trace): string | null;
  canonicalLogin(req: AuthRequest, address: string): { user?: string };
  refuse(kind: RefusalKind, reason: Reason, req: AuthRequest, extra?: Partial<Outcome>): Outcome;
  tempfail(reason: Reason, req: AuthRequest, extra?: Partial<Outcome>): Outcome;
  admit(req: AuthRequest, mailbox: Mailbox, t: Trace, login: Login): Promise<Outcome>;
}

/** A binding no mailbox row has (ids start at 1): the dummy credential used for refusals. */
const DUMMY_BINDING = reversibleSecretBinding(0);

export function createChallengeLogin(ctx: ChallengeContext): (req: AuthRequest & { method: ChallengeMethod }, t: Trace) => Promise<Outcome> {
  const { directory, keyring } = ctx;
  let dummy: string | undefined;

  /** What a wrong digest costs: one decryption and one digest, over a credential nobody has. */
  function dummyWork(req: AuthRequest & { method: ChallengeMethod }, ring: Keyring): void {
    dummy ??= encrypt(ring, 'credentials', Buffer.from('postern dummy credential'), DUMMY_BINDING);
    const opened = decrypt(ring, 'credentials', dummy, DUMMY_BINDING);
    if (opened.ok) {
      verifyDigest(req.method, req.salt ?? '', opened.plaintext, req.pass);
      opened.plaintext.fill(0);
    }
  }

  return async function challengeLogin(req, t) {
    if (!keyring) {
      t?.push(`${req.method} needs a reversible credential from the vault, and no [vault] keys are configured`);
      return ctx.refuse('method', 'method-unsupported', req);
    }
    if (req.salt === undefined || req.salt === '') {
      // nginx always sends Auth-Salt with these methods (§1.3 row 5): this is not nginx.
      t?.push(`${req.method} without Auth-Salt`);
      return ctx.tempfail('bad-request', req);
    }
    const address = ctx.loginAddress(req.user, t);
    const target = address ? await directory.findLogin(address) : null;
    if (!target) {
      dummyWork(req, keyring);
      t?.push(`unknown user (no legacy route for ${req.method}: the old server could not be given a password)`);
      return ctx.refuse('invalid', 'unknown-user', req);
    }
    const { mailbox, via } = target;
    const who = { mailbox: mailbox.address };
    t?.push(via === 'address' ? `mailbox ${mailbox.address}` : `"${address}" is an ${via} of mailbox ${mailbox.address}`);
    if (ctx.admitsAccount && !(await ctx.admitsAccount(mailbox, req))) {
      dummyWork(req, keyring);
      t?.push("the mailbox is protected after many different wrong passwords, and this client is not on its owner's networks");
      return ctx.refuse('invalid', 'account-protected', req, who);
    }
    if (mailbox.reversibleSecret === null) {
      dummyWork(req, keyring);
      t?.push(`the mailbox has no reversible credential, which ${req.method} needs (postern mailbox secret set)`);
      return ctx.refuse('invalid', 'no-reversible-secret', req, who);
    }
    const opened = decrypt(keyring, 'credentials', mailbox.reversibleSecret, reversibleSecretBinding(mailbox.id));
    if (!opened.ok) {
      const problem = describeUndecryptable(opened);
      t?.push(`the reversible credential is ${problem}`);
      return ctx.tempfail('secret-undecryptable', req, { ...who, ...(opened.keyId !== null ? { keyId: opened.keyId } : {}), problem });
    }
    const secret = opened.plaintext;
    try {
      if (!verifyDigest(req.method, req.salt, secret, req.pass)) {
        t?.push(`wrong ${req.method} digest`);
        return ctx.refuse('invalid', 'bad-digest', req, who);
      }
      t?.push(`${req.method} digest verified`);
      const problem = reversibleSecretProblem(secret);
      if (problem) {
        // Set by hand or by an older tool: nginx could not pass it on, so say so rather than send it.
        t?.push(`the reversible credential cannot be sent to nginx as Auth-Pass: ${problem}`);
        return ctx.tempfail('secret-unsendable', req, { ...who, problem: `the reversible credential cannot be sent as Auth-Pass: ${problem}` });
      }
      const login = { ...ctx.canonicalLogin(req, mailbox.address), pass: secret.toString('utf8'), passFrom: `the reversible credential of ${mailbox.address}` };
      return await ctx.admit(req, mailbox, t, login);
    } finally {
      secret.fill(0);
    }
  };
}
