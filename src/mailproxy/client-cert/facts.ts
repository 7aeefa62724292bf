/**
 * The Auth-SSL-* values nginx computes from the client's certificate (nginx-auth-http.md §1.3
 * rows 20-25; `ngx_ssl_get_client_verify`, `_subject_dn`, `_issuer_dn`, `_serial_number`,
 * `_fingerprint`, `_raw_certificate` in src/event/ngx_event_openssl.c of nginx 1.22.1), from
 * the DER of the certificate and OpenSSL's verification result. nginx fills them only when
 * `ssl_verify_client` is not off; the caller decides that.
 */
import { createHash } from 'node:crypto';
import type { ClientTls } from '../../authclient/index.js';
import { certificateParts } from './der.js';
import { rfc2253 } from './dn.js';

/** OpenSSL's verification of the certificate the client sent. */
export type VerifyResult =
  | { ok: true }
  /** `code`: Node's name for the X509_V_ERR_* value; `reason`: X509_verify_cert_error_string. */
  | { ok: false; code: string; reason: string };

/** The client's certificate as the handshake left it; undefined when the client sent none. */
export interface PeerCertificate {
  der: Buffer;
  verify: VerifyResult;
}

export type CertificateFacts = Pick<ClientTls, 'verify' | 'subject' | 'issuer' | 'serial' | 'fingerprint' | 'cert'>;

/**
 * The Auth-SSL-Verify .. Auth-SSL-Cert values: `NONE` without a certificate; `SUCCESS` or
 * `FAILED:<OpenSSL's reason>` and the certificate's details with one; the PEM only when
 * `passCert` (nginx `auth_http_pass_client_cert`). Undefined when the certificate's names do
 * not print (nginx then fails the auth request: an internal error, never a login).
 */
export function certificateFacts(peer: PeerCertificate | undefined, passCert: boolean): CertificateFacts | undefined {
  if (!peer) return { verify: 'NONE' };
  const parts = certificateParts(peer.der);
  const subject = parts && rfc2253(parts.subject);
  const issuer = parts && rfc2253(parts.issuer);
  if (!parts || subject === undefined || issuer === undefined) return undefined;
  return {
    verify: peer.verify.ok ? 'SUCCESS' : `FAILED:${peer.verify.reason}`,
    subject,
    issuer,
    serial: serialText(parts.serial),
    fingerprint: createHash('sha1').update(peer.der).digest('hex'),
    ...(passCert ? { cert: pem(peer.der) } : {}),
  };
}

/**
 * OpenSSL's `i2a_ASN1_INTEGER`: the magnitude in upper-case hex, `-` before a negative one,
 * `00` for zero, and a backslash-newline after every 35 bytes. A serial that long (RFC 5280
 * allows 20 octets) thus carries a line break, which the request encoder refuses: the login
 * ends with an internal error, where nginx would send a broken request.
 */
export function serialText(content: Buffer): string {
  if (content.length === 0) return '00';
  const negative = (content[0]! & 0x80) !== 0;
  let magnitude: Buffer;
  if (!negative) {
    magnitude = content.length > 1 && content[0] === 0 ? content.subarray(1) : content;
  } else {
    // Two's complement back to the magnitude; a leading 0xFF is padding unless the rest is zero.
    const padded = content.length > 1 && content[0] === 0xff && content.subarray(1).some((b) => b !== 0);
    const body = padded ? content.subarray(1) : content;
    magnitude = Buffer.from(((1n << BigInt(body.length * 8)) - BigInt(`0x${body.toString('hex')}`)).toString(16).padStart(body.length * 2, '0'), 'hex');
  }
  const hex = magnitude.toString('hex').toUpperCase();
  const groups = hex.match(/.{1,70}/g) ?? [];
  return `${negative ? '-' : ''}${groups.join('\\\n')}`;
}

/** `PEM_write_bio_X509`: base64 in lines of 64, each ending in a newline. */
export function pem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
