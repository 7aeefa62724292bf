/**
 * Whether an app password that was found may be used for this login: not revoked, not
 * expired, for this protocol, from this client's network. Only its own scope: the mailbox's
 * rules (enabled, protocols, networks) are applied afterwards by the decision engine, exactly
 * as for a password login.
 */
import type { Protocol } from '../authhttp/types.js';
import { inNetworks, networksOf } from '../net/cidr.js';
import type { AppPassword } from './types.js';

export type AppPasswordVerdict = 'ok' | 'revoked' | 'expired' | 'protocol' | 'network';

export function judgeAppPassword(ap: AppPassword, protocol: Protocol, clientIp: string, now: Date): AppPasswordVerdict {
  if (ap.revokedAt !== null) return 'revoked';
  if (ap.expiresAt !== null && Date.parse(ap.expiresAt) <= now.getTime()) return 'expired';
  if (!ap.protocols.includes(protocol)) return 'protocol';
  if (ap.networks.length > 0 && !inNetworks(clientIp, networksOf(ap.networks))) return 'network';
  return 'ok';
}

/** `active`, `expired` or `revoked`, as listings show it. */
export type AppPasswordState = 'active' | 'expired' | 'revoked';

export function appPasswordState(ap: AppPassword, now: Date): AppPasswordState {
  if (ap.revokedAt !== null) return 'revoked';
  if (ap.expiresAt !== null && Date.parse(ap.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}
