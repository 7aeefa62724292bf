/**
 * Which pure session serves a listener: IMAP, POP3 or SMTP (submission and inbound mail both,
 * told apart by their settings' `auth`). The shell never looks inside a session.
 */
import { imapSession } from '../imap/session.js';
import { pop3Session } from '../pop3/session.js';
import { smtpSession } from '../smtp/session.js';
import type { ClientSession, ConnectionFacts, SessionEnv } from '../session.js';
import type { ListenerSettings } from './settings.js';

export type SessionFactory = (facts: ConnectionFacts) => ClientSession;

export function sessionFactory(ls: ListenerSettings, env: SessionEnv): SessionFactory {
  switch (ls.protocol) {
    case 'imap':
      return (facts) => imapSession(ls.settings, env, facts);
    case 'pop3':
      return (facts) => pop3Session(ls.settings, env, facts);
    case 'smtp':
      return (facts) => smtpSession(ls.settings, env, facts);
  }
}
