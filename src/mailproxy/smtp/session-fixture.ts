/** The SMTP session tests' defaults; the rest is ../session-test-support.ts. */
import { FACTS, sessionFixture } from '../session-test-support.js';
import { smtpSessions } from './session.js';

/** nginx's defaults: `smtp_auth plain login`, no capabilities, 4 KiB buffer, max_errors 5; XCLIENT on. */
export const { settings, open, reply } = sessionFixture(
  smtpSessions,
  { starttls: 'off', maxErrors: 5, capabilities: [], auth: ['plain', 'login'], clientBuffer: 4096, xclient: true, backendAuth: false },
  { server: '10.0.0.5', port: 25 },
);

/** The fields of a first SMTP attempt from FACTS besides method and credentials. */
export const base = { protocol: 'smtp', attempt: 1, clientIp: FACTS.clientIp, clientHost: '[UNAVAILABLE]' } as const;
