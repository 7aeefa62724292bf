/**
 * The server side of a client's TLS, shared by implicit-TLS listeners and STARTTLS: wrap the
 * plain socket (bytes it already buffered are read as TLS, so clear text sent after STARTTLS
 * fails the handshake instead of becoming a command), wait for the handshake within a limit,
 * and report what the auth request carries (nginx-auth-http.md §1.3: Auth-SSL-Protocol, -Cipher).
 */
import type net from 'node:net';
import tls from 'node:tls';
import type { ClientTls } from '../../authclient/index.js';

/** The TLS socket over `plain`, paused until its owner reads. */
export function serverTls(plain: net.Socket, context: tls.SecureContext): tls.TLSSocket {
  const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: context });
  secure.pause();
  return secure;
}

/** Resolves with the connection's TLS facts once the handshake is done; rejects on failure, close or time-out. */
export function handshake(secure: tls.TLSSocket, timeoutMs: number): Promise<ClientTls> {
  return new Promise<ClientTls>((resolve, reject) => {
    const settle = (err: Error | null): void => {
      clearTimeout(timer);
      secure.off('secure', onSecure);
      secure.off('error', onError);
      secure.off('close', onClose);
      if (err) return reject(err);
      const protocol = secure.getProtocol() ?? undefined;
      const cipher = secure.getCipher()?.name;
      resolve({ ...(protocol ? { protocol } : {}), ...(cipher ? { cipher } : {}) });
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
