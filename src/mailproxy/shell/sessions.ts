/**
 * Which pure session serves a listener: IMAP, POP3 or SMTP (submission and inbound mail both,
 * told apart by their settings' `auth`). The shell never looks inside a session.
 */
import { imapSessions } from '../imap/session.js';
import { pop3Sessions } from '../pop3/session.js';
import { smtpSessions } from '../smtp/session.js';
import type { ClientSession, ConnectionFacts, SessionEnv } from '../session.js';
import type { ListenerSettings } from './settings.js';

export type SessionFactory = (facts: ConnectionFacts) => ClientSession;

export function sessionFactory(ls: ListenerSettings, env: SessionEnv): SessionFactory {
  switch (ls.protocol) {
    case 'imap':
      return imapSessions(ls.settings, env);
    case 'pop3':
      return pop3Sessions(ls.settings, env);
    case 'smtp':
      return smtpSessions(ls.settings, env);
  }
}
