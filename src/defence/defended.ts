/**
 * Puts the defence around the decision engine: a banned client is refused before anything is
 * looked up, and every outcome is recorded (which may ban, and sets a failure's Auth-Wait).
 */
import type { Decider } from '../decision/decide.js';
import { refusal } from '../decision/outcome.js';
import type { Logger } from '../log/logger.js';
import type { Defence } from './defence.js';

export function defended(decide: Decider, defence: Defence, opts: { log: Logger; record: boolean }): Decider {
  return async (req, trace) => {
    let ban;
    try {
      ban = await defence.bannedClient(req);
    } catch (err) {
      // The bans live with the directory: if it cannot be read, the decision below fails
      // closed by itself, unless the auth cache can vouch for this very password.
      opts.log.warn({ err: (err as Error).message }, 'could not read bans');
    }
    if (ban) {
      trace?.push(`the client is banned (${ban.kind} ${ban.subject}: ${ban.reason}, until ${ban.expiresAt})`);
      // No Auth-Wait: nginx closes the connection at once.
      return { decision: refusal('banned', req.protocol), reason: 'banned' };
    }
    const outcome = await decide(req, trace);
    if (!opts.record) return outcome;
    try {
      return await defence.record(req, outcome);
    } catch (err) {
      opts.log.warn({ err: (err as Error).message }, 'could not record the login for the defence');
      return outcome;
    }
  };
}
