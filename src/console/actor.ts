/**
 * Who made an admin change, and through what: the page's form, the API with a session (the
 * console's own script) or the API with a token. The shared operation of each feature takes an
 * Actor, so a change made by a page and the same change made through the API write the same
 * audit line (`admin-…` event, admin, what changed, via, client_ip).
 */
import type { ConsoleDeps, Ctx } from './context.js';

export interface Actor {
  admin: string;
  adminId: number;
  via: 'form' | 'session' | 'token';
  clientIp: string | null;
}

export function actorOf(ctx: Ctx, from: 'page' | 'api'): Actor {
  const a = ctx.auth!;
  return { admin: a.admin.name, adminId: a.admin.id, via: from === 'page' ? 'form' : a.kind, clientIp: ctx.fwd.clientIp };
}

/** The one audit line of a change; `fields` say what changed and never hold a secret. */
export function audit(deps: ConsoleDeps, by: Actor, event: `admin-${string}`, fields: Record<string, unknown>, message: string): void {
  deps.log.info({ event, admin: by.admin, ...fields, via: by.via, client_ip: by.clientIp }, message);
}
