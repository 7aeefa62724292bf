/**
 * The server side of a client's TLS, shared by implicit-TLS listeners and STARTTLS: wrap the
 * plain socket (bytes it already buffered are read as TLS, so clear text sent after STARTTLS
 * fails the handshake instead of becoming a command), ask for the client's certificate when
 * the listener verifies them, wait for the handshake within a limit, judge the certificate as
 * nginx's `ssl_verify_client` does, and report what the auth request carries (nginx-auth-http.md
 * §1.3 rows 17-25: Auth-SSL-Protocol, -Cipher, and with verification -Verify .. -Cert).
 */
import type net from 'node:net';
import tls from 'node:tls';
import type { ClientTls } from '../../authclient/index.js';
import { certificateFacts, certificateVerdict, refusalLine, type PeerCertificate, type VerifyClient, type VerifyResult } from '../client-cert/index.js';

/** A listener's client-certificate settings (nginx `ssl_verify_client`, `auth_http_pass_client_cert`). */
export interface ClientCertPolicy {
  verify: VerifyClient;
  passCert: boolean;
  /** Whose certificate error line a refused client gets. */
  protocol: 'imap' | 'pop3' | 'smtp';
}

/** After a refusal line, how long the client gets to read it and hang up (as connection.ts's close). */
const REFUSAL_LINGER_MS = 2000;

/**
 * The TLS socket over `plain`, paused until its owner reads. With a policy other than `off` it
 * asks for a certificate but never fails the handshake over it: nginx's verify callback accepts
 * everything and ngx_mail_verify_cert judges after the handshake, so handshake() does too.
 */
export function serverTls(plain: net.Socket, context: tls.SecureContext, certs?: ClientCertPolicy): tls.TLSSocket {
  const requestCert = certs !== undefined && certs.verify !== 'off';
  const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: context, requestCert, rejectUnauthorized: false });
  secure.pause();
  return secure;
}

/**
 * Resolves with the connection's TLS facts once the handshake is done; rejects on failure,
 * close or time-out, and after a certificate refusal (whose line it has sent, closing the
 * connection, by then).
 */
export async function handshake(secure: tls.TLSSocket, timeoutMs: number, certs?: ClientCertPolicy): Promise<ClientTls> {
  await handshakeDone(secure, timeoutMs);
  const protocol = secure.getProtocol() ?? undefined;
  const cipher = secure.getCipher()?.name;
  const facts: ClientTls = { ...(protocol ? { protocol } : {}), ...(cipher ? { cipher } : {}) };
  if (!certs || certs.verify === 'off') return facts;
  const peer = peerCertificate(secure);
  const verdict = certificateVerdict(certs.verify, peer);
  // A name OpenSSL could not print fails nginx's auth request; here it ends the session at once.
  const details = verdict === 'continue' ? certificateFacts(peer, certs.passCert) : undefined;
  if (details) return { ...facts, ...details };
  const refusal = verdict === 'continue' ? 'cert-error' : verdict;
  await refuse(secure, refusalLine(certs.protocol, refusal));
  const why = peer ? (peer.verify.ok ? 'its names do not print' : peer.verify.reason) : 'none sent';
  throw new Error(`client certificate refused (${refusal}: ${why})`);
}

function handshakeDone(secure: tls.TLSSocket, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (err: Error | null): void => {
      clearTimeout(timer);
      secure.off('secure', onSecure);
      secure.off('error', onError);
      secure.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onSecure = (): void => settle(null);
    const onError = (err: Error): void => settle(new Error(`TLS handshake failed: ${err.message}`));
    const onClose = (): void => settle(new Error('closed during the TLS handshake'));
    const timer = setTimeout(() => settle(new Error(`no TLS handshake within ${timeoutMs / 1000} s`)), timeoutMs);
    secure.once('secure', onSecure);
    secure.once('error', onError);
    secure.once('close', onClose);
  });
}

/** The certificate the client sent, with OpenSSL's verdict on it; undefined when it sent none. */
function peerCertificate(secure: tls.TLSSocket): PeerCertificate | undefined {
  const cert = secure.getPeerX509Certificate();
  return cert ? { der: cert.raw, verify: verifyResult(secure) } : undefined;
}

/**
 * SSL_get_verify_result, through the call Node's own tls.Server makes for `authorized` and
 * `authorizationError` (`_handle.verifyError()` in lib/_tls_wrap.js): a TLSSocket made without
 * a tls.Server, as here, has no public equivalent. Its message is OpenSSL's
 * X509_verify_cert_error_string, the words nginx sends after `FAILED:`. Should a Node version
 * lack it, every certificate counts as failed (closed, not open).
 */
function verifyResult(secure: tls.TLSSocket): VerifyResult {
  const handle = (secure as unknown as { _handle?: { verifyError?: () => unknown } })._handle;
  if (typeof handle?.verifyError !== 'function') return { ok: false, code: 'UNSPECIFIED', reason: 'unspecified certificate verification error' };
  const err = handle.verifyError() as (Error & { code?: unknown }) | null | undefined;
  if (!err) return { ok: true };
  // Node 24 appends its own hint after "; " (e.g. "…; if the root CA is installed locally, try
  // running Node.js with --use-system-ca"); OpenSSL's strings hold no ";", so nginx's words are before it.
  return { ok: false, code: typeof err.code === 'string' ? err.code : 'UNSPECIFIED', reason: err.message.split('; ')[0]! };
}

/** Sends the refusal line and closes, reading what else comes; resolves once closed (or cut after the linger). */
function refuse(secure: tls.TLSSocket, line: Buffer): Promise<void> {
  return new Promise<void>((resolve) => {
    if (secure.destroyed) return resolve();
    const cut = setTimeout(() => secure.destroy(), REFUSAL_LINGER_MS);
    secure.once('close', () => {
      clearTimeout(cut);
      resolve();
    });
    secure.on('error', () => undefined);
    secure.on('data', () => undefined);
    secure.end(line);
    secure.resume();
  });
}
