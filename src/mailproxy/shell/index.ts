/**
 * Postern's mail proxy, started by `postern serve` when `[mail_proxy] enabled = true`: one
 * MailListener per `[[mail_proxy.listeners]]`, each with its auth transport (in-process or
 * HTTP), its session factory and its backend options; one connection cap over all of them.
 * Files (TLS certificate, key, backend CAs) are read and URLs resolved here, at start-up, so a
 * mistake stops the start with a clear message instead of failing the first login.
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { Config } from '../../config/load.js';
import { IN_PROCESS, type MailProxyListenerConfig } from '../../config/mail-proxy.js';
import type { Logger } from '../../log/logger.js';
import { parseNetworks } from '../../net/cidr.js';
import type { AuthAnswer } from '../../server/auth-server.js';
import type { SessionEnv } from '../session.js';
import { httpAuthTransport, resolveAuthHttpUrl } from './auth-http.js';
import { inProcessAuthTransport } from './auth-in-process.js';
import type { AuthTransport } from './auth-transport.js';
import { ConnectionCap, MailListener } from './listener.js';
import { sessionFactory, type SessionFactory } from './sessions.js';
import { backendOptions, connectionLimits, listenerSettings } from './settings.js';

export { httpAuthTransport, resolveAuthHttpUrl, inProcessAuthTransport };
export type { AuthTransport };

export interface MailProxyDeps {
  log: Logger;
  /** The auth endpoint's decision path, for `auth_http = "in-process"` (src/server/auth-server.ts). */
  answer: AuthAnswer;
  /** A session factory per listener; default: the protocol's own session (tests pass fakes). */
  sessions?: (l: MailProxyListenerConfig, env: SessionEnv) => SessionFactory;
}

export interface RunningMailProxy {
  /** Where each listener listens, in configuration order. */
  listening: Array<{ protocol: MailProxyListenerConfig['protocol']; tls: MailProxyListenerConfig['tls']; address: string; port: number }>;
  close(): Promise<void>;
}

export async function startMailProxy(cfg: Config, deps: MailProxyDeps): Promise<RunningMailProxy> {
  const mp = cfg.mail_proxy;
  const secureContext = mp.listeners.some((l) => l.tls !== 'none') ? loadSecureContext(mp.tls_cert_file!, mp.tls_key_file!) : undefined;
  const env: SessionEnv = { serverName: mp.server_name, random: () => randomInt(0, 2 ** 31), unixTime: () => Math.floor(Date.now() / 1000) };
  const cap = new ConnectionCap(mp.max_connections);
  const trusted = parseNetworks(mp.trusted_proxies);
  const limits = connectionLimits(mp);
  const headers = Object.entries(mp.auth_http_headers);
  const listeners: MailListener[] = [];
  for (const l of mp.listeners) {
    const authHttp = l.auth_http ?? mp.auth_http;
    const transport: AuthTransport =
      authHttp === IN_PROCESS
        ? inProcessAuthTransport({ answer: deps.answer, path: cfg.listen.path, mxOnly: l.protocol === 'smtp-mx', timeoutMs: mp.auth_http_timeout_ms })
        : httpAuthTransport({ url: await resolveAuthHttpUrl(authHttp), headers, timeoutMs: mp.auth_http_timeout_ms });
    const ca = l.backend_tls_ca_file !== undefined ? readFile(l.backend_tls_ca_file, 'backend_tls_ca_file') : undefined;
    listeners.push(
      new MailListener({
        config: l,
        newSession: (deps.sessions ?? ((x, e) => sessionFactory(listenerSettings(x), e)))(l, env),
        transport,
        ...(l.tls !== 'none' && secureContext ? { secureContext } : {}),
        backend: backendOptions(l, mp, ca),
        limits,
        passErrorMessage: mp.pass_error_message,
        trusted,
        cap,
        log: deps.log.child({ component: 'mail-proxy' }),
      }),
    );
  }
  const listening: RunningMailProxy['listening'] = [];
  try {
    for (const [i, listener] of listeners.entries()) {
      const addr = await listener.listen();
      const l = mp.listeners[i]!;
      listening.push({ protocol: l.protocol, tls: l.tls, address: addr.address, port: addr.port });
    }
  } catch (err) {
    await Promise.all(listeners.map((x) => x.close(0)));
    const l = mp.listeners[listening.length]!;
    throw new Error(`mail_proxy: cannot listen on ${l.host}:${l.port} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return {
    listening,
    close: async () => void (await Promise.all(listeners.map((x) => x.close(mp.shutdown_grace_seconds * 1000)))),
  };
}

function loadSecureContext(certFile: string, keyFile: string): tls.SecureContext {
  const cert = readFile(certFile, 'tls_cert_file');
  const key = readFile(keyFile, 'tls_key_file');
  try {
    return tls.createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(`mail_proxy: the TLS certificate ${certFile} and key ${keyFile} do not load (${(err as Error).message})`);
  }
}

function readFile(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`mail_proxy.${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
