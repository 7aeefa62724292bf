/**
 * Console sessions, decided without sockets or a database (anchors-admin-secrets.md §4.1.5-6):
 * a 32-byte random id in the cookie, only its SHA-256 stored; an idle end and an absolute end;
 * a new id at every login and again at the second factor; and an optional binding to the RESOLVED client IP (src/http's
 * trusted-proxy walk), never to the proxy's address, so a load balancer that changes its own
 * address between requests does not log anyone out (SFTPGo #1691).
 */
import { createHash, randomBytes } from 'node:crypto';
import { subnetOf } from '../defence/subnet.js';
import { parseAddress } from '../net/cidr.js';
import type { SessionRecord, SessionStage } from './types.js';

export type SessionBinding = 'off' | 'subnet' | 'exact';

/** IPv4 /24, IPv6 /64: one household or office network, as the anchors suggest for `subnet`. */
export const BINDING_PREFIX = { ipv4: 24, ipv6: 64 } as const;

export interface SessionPolicy {
  idleMs: number;
  maxMs: number;
  binding: SessionBinding;
}

/** 32 random bytes, base64url: 43 characters, 256 bits. */
const ID_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export function newSessionId(): { id: string; idHash: string } {
  const id = randomBytes(32).toString('base64url');
  return { id, idHash: sha256Hex(id) };
}

/** The stored form of a cookie value; null for anything that is not an id Postern could have made. */
export function hashSessionId(id: string): string | null {
  return ID_FORMAT.test(id) ? sha256Hex(id) : null;
}

/**
 * The per-session CSRF token forms and the console's API calls carry: derived from the secret
 * id (which the page never sees, the cookie being HttpOnly), so nothing more is stored and a
 * token from one session is worthless in another.
 */
export function csrfToken(sessionId: string): string {
  return createHash('sha256').update('postern-csrf\0').update(sessionId).digest('base64url');
}

/** What the session list shows as the session's id and what a revoke names: a prefix of the id hash. */
export function sessionHandle(idHash: string): string {
  return idHash.slice(0, 16);
}

/**
 * How long a half session (password checked, second factor pending) lives: long enough to open
 * an authenticator app, short enough that a stolen half session soon means nothing.
 */
export const HALF_SESSION_MS = 5 * 60_000;

export function newSession(input: { adminId: number; clientIp: string; userAgent: string; now: Date; policy: SessionPolicy; stage?: SessionStage }): {
  id: string;
  record: Omit<SessionRecord, 'revoked'>;
} {
  const { id, idHash } = newSessionId();
  const at = input.now.toISOString();
  const stage = input.stage ?? 'full';
  // `enrol` lives as long as a full session: enrolling takes a while, and it can do nothing else.
  const lifetime = stage === 'second-factor' ? Math.min(HALF_SESSION_MS, input.policy.maxMs) : input.policy.maxMs;
  return {
    id,
    record: {
      idHash,
      adminId: input.adminId,
      createdAt: at,
      lastSeenAt: at,
      expiresAt: new Date(input.now.getTime() + lifetime).toISOString(),
      clientIp: input.clientIp,
      userAgent: input.userAgent,
      stage,
    },
  };
}

export type SessionRefusal = 'revoked' | 'expired' | 'idle' | 'client-changed';

export type SessionCheck = { ok: true } | { ok: false; reason: SessionRefusal; detail: string };

/** Whether a stored session may serve this request, from this resolved client IP, now. */
export function checkSession(s: SessionRecord, clientIp: string | null, now: Date, policy: SessionPolicy): SessionCheck {
  const t = now.getTime();
  if (s.revoked) return { ok: false, reason: 'revoked', detail: 'the session was ended (logged out, revoked, or the password changed)' };
  if (t >= Date.parse(s.expiresAt)) return { ok: false, reason: 'expired', detail: `the session reached its absolute end (${s.expiresAt})` };
  if (t - Date.parse(s.lastSeenAt) >= policy.idleMs) {
    return { ok: false, reason: 'idle', detail: `the session was unused for more than ${Math.round(policy.idleMs / 60000)} minutes` };
  }
  if (!bindingHolds(policy.binding, s.clientIp, clientIp)) {
    return {
      ok: false,
      reason: 'client-changed',
      detail: `the session is bound (${policy.binding}) to client ${s.clientIp}, and this request came from ${clientIp ?? 'an unknown address'}`,
    };
  }
  return { ok: true };
}

/** `off` always holds; `exact` needs the same address; `subnet` the same /24 or /64. */
export function bindingHolds(binding: SessionBinding, sessionIp: string, clientIp: string | null): boolean {
  if (binding === 'off') return true;
  if (clientIp === null) return false;
  const a = parseAddress(sessionIp)?.toString();
  const b = parseAddress(clientIp)?.toString();
  if (a === undefined || b === undefined) return false;
  if (binding === 'exact') return a === b;
  return subnetOf(a, BINDING_PREFIX.ipv4, BINDING_PREFIX.ipv6) === subnetOf(b, BINDING_PREFIX.ipv4, BINDING_PREFIX.ipv6);
}

/**
 * Whether to write last_seen_at for this request: at most once a minute per session, so a page
 * with several requests costs one write while the idle timeout stays accurate to the minute.
 */
export function shouldTouch(s: SessionRecord, now: Date): boolean {
  return now.getTime() - Date.parse(s.lastSeenAt) >= 60_000;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
