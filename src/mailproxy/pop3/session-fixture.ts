/** The POP3 session tests' defaults; the rest is ../session-test-support.ts. */
import { FACTS, sessionFixture } from '../session-test-support.js';
import { pop3Sessions } from './session.js';

/** nginx's defaults: `pop3_auth plain`, `pop3_capabilities TOP USER UIDL`, `starttls off`, `max_errors 5`. */
export const { settings, open, reply } = sessionFixture(
  pop3Sessions,
  { starttls: 'off', maxErrors: 5, capabilities: ['TOP', 'USER', 'UIDL'], auth: ['plain'] },
  { server: '10.0.0.2', port: 110 },
);

/** The fields every POP3 attempt from FACTS carries besides the credentials. */
export const base = { protocol: 'pop3', clientIp: FACTS.clientIp } as const;
