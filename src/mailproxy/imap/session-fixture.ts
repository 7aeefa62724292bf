/** The IMAP session tests' defaults; the rest is ../session-test-support.ts. */
import { FACTS, sessionFixture } from '../session-test-support.js';
import { imapSessions } from './session.js';

/** nginx's defaults: `imap_auth plain`, `imap_capabilities IMAP4 IMAP4rev1 UIDPLUS`, 4 KiB buffer. */
export const { settings, open, reply } = sessionFixture(
  imapSessions,
  { starttls: 'off', maxErrors: 5, capabilities: ['IMAP4', 'IMAP4rev1', 'UIDPLUS'], auth: ['plain'], clientBuffer: 4096 },
  { server: '10.0.0.2', port: 143 },
);

/** How `show` renders the auth action of an IMAP attempt from FACTS; `more`: salt, tls, … */
export function asked(method: string, user: string, pass: string | undefined, attempt = 1, more: Record<string, unknown> = {}): { auth: Record<string, unknown> } {
  return { auth: { protocol: 'imap', method, user, ...(pass === undefined ? {} : { pass }), attempt, clientIp: FACTS.clientIp, ...more } };
}
