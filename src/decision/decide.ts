/**
 * The decision engine: one decoded auth request in, one decision out. It reads the directory,
 * verifies passwords and resolves backend hosts through injected interfaces, and never talks
 * to nginx itself. Errors it throws (database down, DNS) are turned into temporary failures by
 * the caller; refusals it decides are returned.
 */
import { randomBytes } from 'node:crypto';
import type { AuthDecision, AuthRequest, Protocol } from '../authhttp/types.js';
import type { CredentialCache, StaleLogin } from '../cache/credential-cache.js';
import type { Backend, DirectoryReader, Mailbox } from '../directory/types.js';
import type { Resolver } from '../dns/resolver.js';
import { inNetworks, networksOf } from '../net/cidr.js';
import { HashPoolOverloaded, PasswordHashError } from '../passwords/index.js';
import type { BearerSettings } from '../oauth/index.js';
import type { Keyring } from '../vault/index.js';
import { createAppPasswordLogin } from './app-password-login.js';
import { backendLogin, type Login } from './backend-login.js';
import { createBearerLogin } from './bearer-login.js';
import { createChallengeLogin } from './challenge-login.js';
import { refusal, type Reason, type RefusalKind } from './outcome.js';
import { parseRcptLine } from './recipient.js';

export interface PasswordVerifier {
  verify(stored: string, password: Buffer): Promise<boolean>;
  /** Costs what a real verification costs, so unknown users are not told apart by timing. */
  dummyVerify(password: Buffer): Promise<false>;
}

export interface DecisionSettings {
  failureWaitSeconds: number;
  maxAttempts: number;
  defaultDomain: string;
  recipientDelimiter: string;
}

export interface DeciderDeps {
  directory: DirectoryReader;
  resolver: Resolver;
  passwords: PasswordVerifier;
  settings: DecisionSettings;
  /** Absent when the auth cache is off. */
  cache?: CredentialCache;
  /** The defence's account protection: false refuses the login before any password is checked. */
  admitsAccount?: (mailbox: Mailbox, req: AuthRequest) => Promise<boolean>;
  /** The vault keyring for reversible credentials (APOP, CRAM-MD5); absent or null: the vault is off. */
  keyring?: Keyring | null;
  /** Now, for app password and token expiry; default the system clock. */
  now?: () => Date;
  /** Token introspection for OAUTHBEARER / XOAUTH2 (`[oauth]`); absent: those logins are refused. */
  bearer?: BearerSettings;
}

export interface Outcome {
  decision: AuthDecision;
  reason: Reason;
  /** Canonical mailbox address, when one was identified. */
  mailbox?: string;
  backend?: string;
  /** Set when a password was verified, so the caller may upgrade its hash. */
  verified?: { mailbox: Mailbox; password: Buffer };
  /** How the auth cache took part: `hit` (no hashing, or no token introspection), or `stale` (the directory was unavailable). */
  cache?: 'hit' | 'stale';
  /** The vault key id a stored secret named, when it mattered (an undecryptable credential). */
  keyId?: string;
  /** Operator wording of what is wrong with a stored secret or a token, or why the introspection failed (never a secret): for the log. */
  problem?: string;
  /** Where Auth-Pass came from when Postern supplied it (never the value): for test-login. */
  passFrom?: string;
  /** The backend is logged in to with a master login or the mailbox's backend login (admit). */
  rewritten?: boolean;
  /** The label of the app password the client logged in with (never the password): for the log and the login history. */
  appPassword?: string;
  /** The id of that app password, on a successful login only: its last-used time is recorded after the reply. */
  appPasswordId?: number;
}

/** Optional human-readable steps, for `postern test-login`. */
export type Trace = string[] | undefined;

export type Decider = (req: AuthRequest, trace?: string[]) => Promise<Outcome>;

/** Stateless between whole-buffer decodes: one for every login, not one each. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function loginText(raw: Buffer, t?: Trace): string | null {
  try {
    return STRICT_UTF8.decode(raw);
  } catch {
    t?.push('login name is not valid UTF-8');
    return null;
  }
}

export function createDecider(deps: DeciderDeps): Decider {
  const { directory, resolver, passwords, settings, cache, admitsAccount } = deps;

  function refuse(kind: RefusalKind, reason: Reason, req: AuthRequest, extra: Partial<Outcome> = {}): Outcome {
    // nginx-auth-http.md §2.3/§2.5: Auth-Wait lets the client retry on the same connection;
    // past the attempt cap, or for APOP/CRAM-MD5 whose retry carries no digest (§2.4), close instead.
    // A bearer login's retry is a new token from the client (Postern's proxy, not nginx).
    const retryable = req.method === 'plain' || req.method === 'external' || req.method === 'oauthbearer' || req.method === 'xoauth2';
    const wait = retryable && req.attempt < settings.maxAttempts ? settings.failureWaitSeconds : undefined;
    return { decision: refusal(kind, req.protocol, wait), reason, ...extra };
  }

  function tempfail(reason: Reason, req: AuthRequest, extra: Partial<Outcome> = {}): Outcome {
    return { decision: refusal('temporary', req.protocol), reason, ...extra };
  }

  async function answer(req: AuthRequest, backend: Backend, protocol: Protocol | 'mx', t: Trace, extra: Partial<Outcome> & Login, reason: Reason = 'ok'): Promise<Outcome> {
    const { user, pass, ...rest } = extra;
    const port = protocol === 'mx' ? (backend.ports.mx ?? backend.ports.smtp) : backend.ports[protocol];
    if (!port) {
      t?.push(`backend "${backend.name}" has no ${protocol} port: temporary failure`);
      return tempfail('no-port', req, { ...rest, backend: backend.name });
    }
    let server: string;
    try {
      server = await resolver.resolve(backend.host);
    } catch {
      t?.push(`backend "${backend.name}": host "${backend.host}" does not resolve: temporary failure`);
      return tempfail('dns-failure', req, { ...rest, backend: backend.name });
    }
    t?.push(`backend "${backend.name}" → ${server}:${port}`);
    const decision: AuthDecision = { kind: 'ok', server, port };
    if (user !== undefined) decision.user = user;
    if (pass !== undefined) decision.pass = pass;
    return { decision, reason, backend: backend.name, ...rest };
  }

  /** Login name → lower-case address with a domain, or null when it cannot name a mailbox. */
  function loginAddress(raw: Buffer, t: Trace): string | null {
    const sent = loginText(raw, t);
    if (sent === null || sent === '') return null;
    let name = sent.toLowerCase();
    if (!name.includes('@')) {
      if (!settings.defaultDomain) {
        t?.push(`login "${name}" has no domain and no default_domain is configured`);
        return null;
      }
      name = `${name}@${settings.defaultDomain.toLowerCase()}`;
      t?.push(`login qualified with the default domain: ${name}`);
    }
    return name;
  }

  async function unknownLogin(req: AuthRequest, address: string | null, t: Trace): Promise<Outcome> {
    const domain = address ? address.slice(address.lastIndexOf('@') + 1) : null;
    const legacy = await directory.unknownRoute(domain);
    if (legacy && req.method === 'plain') {
      // Zimbra's "external route if account does not exist": the legacy server checks the password.
      t?.push(`unknown user, routed to legacy backend "${legacy.name}" which checks the password itself`);
      return answer(req, legacy, req.protocol, t, {}, 'ok-legacy-route');
    }
    await passwords.dummyVerify(req.pass);
    t?.push('unknown user: refused (after a dummy verification, so timing does not tell)');
    return refuse('invalid', 'unknown-user', req);
  }

  /** Checks that apply once the client is known to be the mailbox's owner. */
  async function admit(req: AuthRequest, mailbox: Mailbox, t: Trace, login: Login): Promise<Outcome> {
    const who = { mailbox: mailbox.address };
    if (!mailbox.enabled) {
      t?.push('mailbox is disabled');
      return refuse('disabled', 'disabled', req, who);
    }
    if (!mailbox.protocols.includes(req.protocol)) {
      t?.push(`protocol ${req.protocol} not allowed (allowed: ${mailbox.protocols.join(', ') || 'none'})`);
      return refuse('protocol', 'protocol-denied', req, who);
    }
    if (mailbox.networks.length > 0 && !inNetworks(req.clientIp, networksOf(mailbox.networks))) {
      t?.push(`client ${req.clientIp} is outside the mailbox's networks (${mailbox.networks.join(', ')})`);
      return refuse('network', 'network-denied', req, who);
    }
    const backend = await directory.routeFor(mailbox);
    if (!backend) {
      t?.push('no route: no mailbox, domain or default route leads to a backend');
      return tempfail('no-route', req, who);
    }
    t?.push(`route → backend "${backend.name}"`);
    // The backend's master login or the mailbox's backend login replace what nginx logs in with.
    const creds = backendLogin(req.protocol, mailbox, backend, deps.keyring ?? null, login, t);
    if (!creds.ok) {
      return tempfail(creds.reason, req, { ...who, backend: backend.name, problem: creds.problem, ...(creds.keyId !== undefined ? { keyId: creds.keyId } : {}) });
    }
    const rewritten = creds.login.user !== login.user || creds.login.pass !== login.pass;
    return answer(req, backend, req.protocol, t, { ...who, ...creds.login, ...(rewritten ? { rewritten } : {}) });
  }

  async function plain(req: AuthRequest, t: Trace): Promise<Outcome> {
    const address = loginAddress(req.user, t);
    const fp = cache && address !== null ? cache.fingerprint(address, req.pass) : undefined;
    try {
      return await passwordLogin(req, address, fp, t);
    } catch (err) {
      // The directory is unavailable: a login verified recently may still be answered (Dovecot's
      // stale cache), with the rules and route it had then. Anything else fails closed.
      const stale = fp && !(err instanceof HashPoolOverloaded) && !(err instanceof PasswordHashError) ? await cache!.stale(fp) : undefined;
      if (!stale) throw err;
      t?.push(`the directory failed (${(err as Error).message}); answering from the auth cache`);
      return staleLogin(req, stale, t, err);
    }
  }

  async function passwordLogin(req: AuthRequest, address: string | null, fp: string | undefined, t: Trace): Promise<Outcome> {
    const target = address ? await directory.findLogin(address) : null;
    if (!target) {
      if (fp && (await cache!.knownBad(fp, null))) {
        t?.push('unknown user (remembered by the auth cache)');
        return refuse('invalid', 'unknown-user', req, { cache: 'hit' });
      }
      const out = await unknownLogin(req, address, t);
      if (fp && out.reason === 'unknown-user') await cache!.rememberBad(fp, null);
      return out;
    }
    const { mailbox, via } = target;
    t?.push(via === 'address' ? `mailbox ${mailbox.address}` : `"${address}" is an ${via} of mailbox ${mailbox.address}`);
    // App passwords first, never through the auth cache (app-password-login.ts says why).
    const app = await appPasswordLogin(req, mailbox, t);
    if (app) return app;
    if (!mailbox.passwordHash) {
      await passwords.dummyVerify(req.pass);
      t?.push('mailbox has no password set');
      return refuse('invalid', 'no-password', req, { mailbox: mailbox.address });
    }
    if (admitsAccount && !(await admitsAccount(mailbox, req))) {
      // The same answer, at the same cost, as a wrong password: the protection is not an oracle.
      await passwords.dummyVerify(req.pass);
      t?.push("the mailbox is protected after many different wrong passwords, and this client is not on its owner's networks");
      return refuse('invalid', 'account-protected', req, { mailbox: mailbox.address });
    }
    let verifiedNow = false;
    // What the auth cache knew, handed back to rememberGood so a cached login reads it once.
    const hit = fp ? await cache!.knownGood(fp, mailbox) : undefined;
    if (hit) {
      t?.push('password verified earlier (auth cache)');
    } else if (fp && (await cache!.knownBad(fp, mailbox))) {
      t?.push('wrong password (remembered by the auth cache)');
      return refuse('invalid', 'bad-credentials', req, { mailbox: mailbox.address, cache: 'hit' });
    } else if (await passwords.verify(mailbox.passwordHash, req.pass)) {
      t?.push('password verified');
      verifiedNow = true;
    } else {
      t?.push('wrong password');
      if (fp) await cache!.rememberBad(fp, mailbox);
      return refuse('invalid', 'bad-credentials', req, { mailbox: mailbox.address });
    }
    const out = await admit(req, mailbox, t, canonicalLogin(req, mailbox.address));
    if (out.decision.kind !== 'ok') return out;
    if (fp) await cache!.rememberGood(fp, mailbox, req.protocol, { backend: out.backend!, server: out.decision.server, port: out.decision.port, rewritten: !!out.rewritten }, hit);
    return verifiedNow ? { ...out, verified: { mailbox, password: req.pass } } : hit ? { ...out, cache: 'hit' } : out;
  }

  /** The backend knows the mailbox by its canonical address, not by the alias, domain alias or spelling (backends may be case-sensitive) the client used. */
  function canonicalLogin(req: AuthRequest, address: string): { user?: string } {
    return loginText(req.user) === address ? {} : { user: address };
  }

  function staleLogin(req: AuthRequest, s: StaleLogin, t: Trace, cause: unknown): Outcome {
    const who = { mailbox: s.address };
    if (!s.enabled) return refuse('disabled', 'disabled', req, who);
    if (!s.protocols.includes(req.protocol)) return refuse('protocol', 'protocol-denied', req, who);
    if (s.networks.length > 0 && !inNetworks(req.clientIp, networksOf(s.networks))) return refuse('network', 'network-denied', req, who);
    const route = s.routes[req.protocol];
    if (!route) throw cause; // never sent to a backend for this protocol: nothing to go on
    if (route.rewritten) {
      // Its master password or backend login is in the directory: answering without them
      // would log in with the wrong name or password, so fail closed.
      t?.push(`backend "${route.backend}" needs the master login or backend login from the directory: no stale answer`);
      throw cause;
    }
    t?.push(`backend "${route.backend}" → ${route.server}:${route.port} (as when last verified)`);
    const decision: AuthDecision = { kind: 'ok', server: route.server, port: route.port, ...canonicalLogin(req, s.address) };
    return { decision, reason: 'ok-stale-cache', backend: route.backend, cache: 'stale', ...who };
  }

  async function external(req: AuthRequest, t: Trace): Promise<Outcome> {
    // nginx accepts AUTH EXTERNAL without TLS or a verified certificate (§4.3, §5.8): judge it here.
    if (!req.tls || req.tls.verify !== 'SUCCESS') {
      t?.push(`EXTERNAL needs a verified client certificate (Auth-SSL ${req.tls ? 'on' : 'off'}, verify ${req.tls?.verify ?? 'absent'})`);
      return refuse('external', 'external-untrusted', req);
    }
    const fingerprint = req.tls.fingerprint?.toLowerCase();
    let mailbox = fingerprint ? await directory.findMailboxByCert('fingerprint', fingerprint) : null;
    if (!mailbox && req.tls.subject) mailbox = await directory.findMailboxByCert('subject', req.tls.subject);
    if (!mailbox) {
      t?.push('no mailbox is mapped to this certificate (fingerprint or subject)');
      return refuse('external', 'external-unmapped', req);
    }
    t?.push(`certificate maps to mailbox ${mailbox.address}`);
    if (req.user.length > 0) {
      // An authorization identity was given: it must name the same mailbox.
      const address = loginAddress(req.user, t);
      const target = address ? await directory.findLogin(address) : null;
      if (!target || target.mailbox.id !== mailbox.id) {
        t?.push('the requested identity is not the certificate\'s mailbox');
        return refuse('external', 'external-unmapped', req, { mailbox: mailbox.address });
      }
    }
    // nginx needs Auth-Pass for IMAP/POP3 after EXTERNAL (§2.2). A backend with a master user
    // gets the master password instead (admit → backendLogin); any other backend must trust the
    // proxy for these logins, so the password is a random one-time value that proves nothing.
    const pass = req.protocol === 'smtp' ? undefined : randomBytes(18).toString('base64url');
    return admit(req, mailbox, t, { user: mailbox.address, ...(pass ? { pass, passFrom: 'a random one-time value for EXTERNAL' } : {}) });
  }

  const appPasswordLogin = createAppPasswordLogin({
    directory,
    passwords,
    now: deps.now ?? (() => new Date()),
    canonicalLogin,
    refuse,
    admit,
  });

  const challengeLogin = createChallengeLogin({
    directory,
    keyring: deps.keyring ?? null,
    ...(admitsAccount ? { admitsAccount } : {}),
    loginAddress,
    canonicalLogin,
    refuse,
    tempfail,
    admit,
  });

  const bearerLogin = createBearerLogin({
    directory,
    bearer: deps.bearer,
    now: deps.now ?? (() => new Date()),
    loginAddress,
    refuse,
    tempfail,
    admit,
  });

  async function mx(req: AuthRequest, t: Trace): Promise<Outcome> {
    if (req.protocol !== 'smtp' || !req.smtp) {
      t?.push('Auth-Method none outside SMTP');
      return tempfail('bad-request', req);
    }
    const rcpt = parseRcptLine(req.smtp.to);
    // Permanent SMTP refusals on the MX path carry no Auth-Wait: nginx answers RCPT and closes.
    const noWait = (kind: RefusalKind, reason: Reason, extra: Partial<Outcome> = {}): Outcome => ({
      decision: refusal(kind, 'smtp'),
      reason,
      ...extra,
    });
    if (!rcpt) {
      t?.push(`cannot find an address in "${req.smtp.to}"`);
      return noWait('recipientSyntax', 'mx-bad-recipient');
    }
    const domain = await directory.findDomain(rcpt.domain);
    if (!domain) {
      t?.push(`domain ${rcpt.domain} is not served here: relay denied`);
      return noWait('relay', 'mx-relay-denied');
    }
    const local = rcpt.local.toLowerCase();
    let target = await directory.findLogin(`${local}@${domain.name}`);
    const delim = settings.recipientDelimiter;
    if (!target && delim && local.includes(delim)) {
      const base = local.slice(0, local.indexOf(delim));
      t?.push(`no mailbox ${local}@${domain.name}; trying without the sub-address: ${base}@${domain.name}`);
      if (base) target = await directory.findLogin(`${base}@${domain.name}`);
    }
    // An empty Auth-User stops Debian 1.22's stale XCLIENT LOGIN= (§5.3).
    const clearLogin = { user: '' };
    if (!target) {
      const legacy = await directory.unknownRoute(domain.name);
      if (legacy) {
        t?.push(`unknown recipient, routed to legacy backend "${legacy.name}"`);
        return answer(req, legacy, 'mx', t, clearLogin, 'ok-legacy-route');
      }
      t?.push(`no mailbox or alias ${local}@${domain.name}: recipient unknown`);
      return noWait('recipient', 'mx-unknown-recipient');
    }
    t?.push(`recipient is mailbox ${target.mailbox.address}`);
    const backend = await directory.routeFor(target.mailbox);
    if (!backend) return tempfail('no-route', req, { mailbox: target.mailbox.address });
    return answer(req, backend, 'mx', t, { ...clearLogin, mailbox: target.mailbox.address });
  }

  return async function decide(req: AuthRequest, trace?: string[]): Promise<Outcome> {
    try {
      return await byMethod(req, trace);
    } catch (err) {
      if (err instanceof HashPoolOverloaded) {
        trace?.push(err.message);
        return tempfail('overloaded', req);
      }
      if (err instanceof PasswordHashError) {
        // The stored hash is broken or of a scheme Postern cannot check: the operator must fix it.
        trace?.push(`the stored password hash cannot be checked: ${err.message}`);
        return tempfail('bad-hash', req);
      }
      throw err;
    }
  };

  async function byMethod(req: AuthRequest, trace: Trace): Promise<Outcome> {
    if (req.mxOnly && req.method !== 'none') {
      trace?.push('AUTH on a listener for inbound mail: refused and counted');
      return refuse('mxAuth', 'mx-auth-refused', req);
    }
    switch (req.method) {
      case 'plain':
        return plain(req, trace);
      case 'none':
        return mx(req, trace);
      case 'external':
        return external(req, trace);
      case 'apop':
      case 'cram-md5':
        // The mailbox's reversible credential from the vault (challenge-login.ts); never a retry.
        return challengeLogin({ ...req, method: req.method }, trace);
      case 'oauthbearer':
      case 'xoauth2':
        // A bearer token, vouched for by the [oauth] introspection endpoint (bearer-login.ts).
        return bearerLogin(req, trace);
    }
  }
}
