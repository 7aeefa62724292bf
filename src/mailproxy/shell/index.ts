/**
 * Postern's mail proxy, started by `postern serve` when `[mail_proxy] enabled = true`: one
 * MailListener per `[[mail_proxy.listeners]]`, each with its auth transport (in-process or
 * HTTP), its session factory and its backend options; one connection cap over all of them.
 * Files (TLS certificate, key, client and backend CAs) are read and URLs resolved here, at
 * start-up, so a mistake stops the start with a clear message instead of failing the first login.
 */
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { Config } from '../../config/load.js';
import { IN_PROCESS, type MailProxyListenerConfig } from '../../config/mail-proxy.js';
import type { Logger } from '../../log/logger.js';
import { parseNetworks } from '../../net/cidr.js';
import type { AuthAnswer } from '../../server/auth-server.js';
import type { SessionEnv } from '../session.js';
import { httpAuthTransport, resolveAuthHttpUrl } from './auth-http.js';
import { backendCaSource } from './backend-ca.js';
import { clientHostLookup } from './client-host.js';
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
  const certFiles = { cert: mp.tls_cert_file!, key: mp.tls_key_file! };
  const secureContext = mp.listeners.some((l) => l.tls !== 'none') ? loadSecureContext(certFiles) : undefined;
  const clientHost = clientHostLookup(mp.resolver, mp.resolver_timeout_seconds * 1000);
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
    const verifying = l.tls !== 'none' && l.tls_verify_client !== 'off';
    // nginx trusts no CA it was not given (no default verify paths), hence the empty list.
    const listenerContext = verifying ? loadSecureContext({ ...certFiles, ca: l.tls_client_ca_file !== undefined ? [readFile(l.tls_client_ca_file, 'tls_client_ca_file')] : [] }) : secureContext;
    const protocol = l.protocol === 'smtp-mx' ? 'smtp' : l.protocol;
    listeners.push(
      new MailListener({
        config: l,
        newSession: (deps.sessions ?? ((x, e) => sessionFactory(listenerSettings(x), e)))(l, env),
        transport,
        ...(l.tls !== 'none' && listenerContext ? { secureContext: listenerContext } : {}),
        ...(verifying ? { clientCerts: { verify: l.tls_verify_client, passCert: l.auth_http_pass_client_cert ?? mp.auth_http_pass_client_cert, protocol } } : {}),
        clientHost,
        backend: backendOptions(l, mp, backendCa(l)),
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

function loadSecureContext(files: { cert: string; key: string; ca?: Buffer[] }): tls.SecureContext {
  const cert = readFile(files.cert, 'tls_cert_file');
  const key = readFile(files.key, 'tls_key_file');
  try {
    return tls.createSecureContext({ cert, key, ...(files.ca ? { ca: files.ca } : {}) });
  } catch (err) {
    const what = files.ca?.length ? ' (or the client CAs)' : '';
    throw new Error(`mail_proxy: the TLS certificate ${files.cert} and key ${files.key}${what} do not load (${(err as Error).message})`);
  }
}

/** The PEM backend certificates are checked against; undefined for Node's bundled roots or without backend TLS. */
function backendCa(l: MailProxyListenerConfig): Buffer | undefined {
  if (l.backend_tls === 'none') return undefined;
  const source = backendCaSource(l.backend_tls_ca_file, process.env, existsSync);
  if (source.kind === 'bundled') return undefined;
  if (source.kind === 'missing') {
    throw new Error(`mail_proxy.backend_tls_ca_file: "system" found no CA bundle (looked at ${source.tried.join(', ')}); install ca-certificates, set SSL_CERT_FILE, name a PEM file, or say "bundled" for Node's own roots`);
  }
  return readFile(source.path, 'backend_tls_ca_file');
}

function readFile(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`mail_proxy.${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
