/**
 * nginx's `ssl_verify_client` decision after the handshake (`ngx_mail_verify_cert` in
 * src/mail/ngx_mail_handler.c of nginx 1.22.1; nginx-auth-http.md §1.3 notes): the session
 * goes on, or it ends with the protocol's certificate error line before any greeting (implicit
 * TLS) or command (after STARTTLS). The handshake itself never fails over the client's
 * certificate: nginx verifies with a callback that accepts everything and judges here.
 */
import type { PeerCertificate } from './facts.js';

/** nginx's `ssl_verify_client` values. */
export const VERIFY_CLIENT_MODES = ['off', 'on', 'optional', 'optional_no_ca'] as const;
export type VerifyClient = (typeof VERIFY_CLIENT_MODES)[number];

export type CertificateVerdict = 'continue' | 'cert-error' | 'no-cert';

/**
 * The errors `optional_no_ca` lets through as `FAILED:<reason>` (ngx_ssl_verify_error_optional
 * in src/event/ngx_event_openssl.h): a certificate whose CA is unknown, self-signed or not
 * trusted, with Node's names for the X509_V_ERR_* values.
 */
const OPTIONAL_ERRORS = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);

/**
 * `off` never asks; a certificate that failed verification ends the session unless the mode is
 * `optional_no_ca` and the error is one of OPTIONAL_ERRORS; `on` also ends it without a
 * certificate. (Without a certificate OpenSSL's verify result is X509_V_OK.)
 */
export function certificateVerdict(mode: VerifyClient, peer: PeerCertificate | undefined): CertificateVerdict {
  if (mode === 'off') return 'continue';
  if (peer && !peer.verify.ok && !(mode === 'optional_no_ca' && OPTIONAL_ERRORS.has(peer.verify.code))) return 'cert-error';
  if (mode === 'on' && !peer) return 'no-cert';
  return 'continue';
}

/** Each protocol's `cert_error` and `no_cert` lines (ngx_mail_{imap,pop3,smtp}_module.c; §4.2). */
const REFUSALS: Record<'imap' | 'pop3' | 'smtp', Record<Exclude<CertificateVerdict, 'continue'>, string>> = {
  imap: { 'cert-error': '* BYE SSL certificate error\r\n', 'no-cert': '* BYE No required SSL certificate\r\n' },
  pop3: { 'cert-error': '-ERR SSL certificate error\r\n', 'no-cert': '-ERR No required SSL certificate\r\n' },
  smtp: { 'cert-error': '421 4.7.1 SSL certificate error\r\n', 'no-cert': '421 4.7.1 No required SSL certificate\r\n' },
};

export function refusalLine(protocol: 'imap' | 'pop3' | 'smtp', verdict: Exclude<CertificateVerdict, 'continue'>): Buffer {
  return Buffer.from(REFUSALS[protocol][verdict], 'latin1');
}
