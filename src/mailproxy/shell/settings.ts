/**
 * From the `[mail_proxy]` configuration to what the pure sessions and the shell take: each
 * protocol's session settings (src/mailproxy/session.ts), the backend options and the timers.
 * The only place that knows both vocabularies.
 */
import tls from 'node:tls';
import type { Config } from '../../config/load.js';
import type { MailProxyListenerConfig } from '../../config/mail-proxy.js';
import type { ImapSettings, Pop3Settings, SmtpSettings, StarttlsMode } from '../session.js';
import type { BackendOptions } from './backend.js';
import type { ConnectionLimits } from './connection.js';

export type MailProxyConfig = Config['mail_proxy'];

export type ListenerSettings =
  | { protocol: 'imap'; settings: ImapSettings }
  | { protocol: 'pop3'; settings: Pop3Settings }
  | { protocol: 'smtp'; settings: SmtpSettings };

const STARTTLS: Record<MailProxyListenerConfig['tls'], StarttlsMode> = { none: 'off', implicit: 'off', starttls: 'on', 'starttls-only': 'only' };

export function listenerSettings(l: MailProxyListenerConfig): ListenerSettings {
  const common = { starttls: STARTTLS[l.tls], maxErrors: l.max_errors };
  // The schema checked `auth` against the protocol's methods; the casts only narrow string[].
  switch (l.protocol) {
    case 'imap':
      return { protocol: 'imap', settings: { ...common, capabilities: l.capabilities, auth: l.auth as ImapSettings['auth'], clientBuffer: l.client_buffer } };
    case 'pop3':
      return { protocol: 'pop3', settings: { ...common, capabilities: l.capabilities, auth: l.auth as Pop3Settings['auth'] } };
    case 'smtp':
    case 'smtp-mx':
      return {
        protocol: 'smtp',
        settings: { ...common, capabilities: l.capabilities, auth: l.auth as SmtpSettings['auth'], clientBuffer: l.client_buffer, xclient: l.xclient, backendAuth: l.backend_auth },
      };
  }
}

/** `ca`: the PEM backend certificates are verified against (Node's roots when undefined), parsed here once: a system bundle takes ~25 ms. */
export function backendOptions(l: MailProxyListenerConfig, mp: MailProxyConfig, ca: Buffer | undefined): BackendOptions {
  return {
    protocol: l.protocol,
    serverName: mp.server_name,
    tls: l.backend_tls,
    ...(ca !== undefined ? { trust: tls.createSecureContext({ ca }) } : {}),
    ...(l.backend_tls_servername !== undefined ? { tlsServername: l.backend_tls_servername } : {}),
    proxyProtocol: l.backend_proxy_protocol,
    timeoutMs: mp.timeout_seconds * 1000,
  };
}

export function connectionLimits(mp: MailProxyConfig): ConnectionLimits {
  return { idleMs: mp.timeout_seconds * 1000, loginMs: mp.login_timeout_seconds * 1000, proxyIdleMs: mp.proxy_timeout_seconds * 1000 };
}
