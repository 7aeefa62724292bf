/**
 * The little of DER a client certificate's facts need: tag-length-value elements read in
 * place, and the path to the serial number, issuer and subject of an X.509 certificate
 * (RFC 5280 §4.1: Certificate → TBSCertificate → [0] version, serialNumber, signature,
 * issuer, validity, subject). Anything that is not DER as expected gives undefined: the
 * certificate was accepted by OpenSSL in the handshake, so that is a bug or a hostile oddity.
 */

export interface Element {
  /** The identifier octet (class, constructed bit and tag number below 31). */
  tag: number;
  /** The whole element, identifier and length included. */
  der: Buffer;
  /** The contents octets. */
  content: Buffer;
}

export const TAG = {
  INTEGER: 0x02,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** `[0] EXPLICIT`: the version of a TBSCertificate. */
  CONTEXT_0: 0xa0,
} as const;

/** The element at `offset`, or undefined when it does not fit or uses a form DER forbids. */
export function readElement(buf: Buffer, offset: number): Element | undefined {
  if (offset + 2 > buf.length) return undefined;
  const tag = buf[offset]!;
  // High tag numbers (31 and up) never occur in the structures read here.
  if ((tag & 0x1f) === 0x1f) return undefined;
  let length = buf[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    // 0x80 is the indefinite form (BER, not DER); more than 4 length octets is no certificate.
    if (octets === 0 || octets > 4 || start + octets > buf.length) return undefined;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + buf[start + i]!;
    start += octets;
  }
  const end = start + length;
  if (end > buf.length) return undefined;
  return { tag, der: buf.subarray(offset, end), content: buf.subarray(start, end) };
}

/** The elements inside a constructed element's contents, in order; undefined if they do not tile it exactly. */
export function children(content: Buffer): Element[] | undefined {
  const out: Element[] = [];
  for (let offset = 0; offset < content.length; ) {
    const e = readElement(content, offset);
    if (!e) return undefined;
    out.push(e);
    offset += e.der.length;
  }
  return out;
}

export interface CertificateParts {
  /** The contents octets of the serial number INTEGER (two's complement, big-endian). */
  serial: Buffer;
  /** The issuer and subject Names, as whole elements. */
  issuer: Element;
  subject: Element;
}

/** The serial number, issuer and subject of a DER certificate. */
export function certificateParts(der: Buffer): CertificateParts | undefined {
  const cert = readElement(der, 0);
  if (cert?.tag !== TAG.SEQUENCE) return undefined;
  const tbs = children(cert.content)?.[0];
  if (tbs?.tag !== TAG.SEQUENCE) return undefined;
  const fields = children(tbs.content);
  if (!fields) return undefined;
  // The version is present for v2 and v3 certificates only.
  const rest = fields[0]?.tag === TAG.CONTEXT_0 ? fields.slice(1) : fields;
  const [serial, , issuer, , subject] = rest;
  if (serial?.tag !== TAG.INTEGER || issuer?.tag !== TAG.SEQUENCE || subject?.tag !== TAG.SEQUENCE) return undefined;
  return { serial: serial.content, issuer, subject };
}

/** Dotted text of an OBJECT IDENTIFIER's contents (X.690 §8.19), e.g. `2.5.4.3`; undefined if malformed. */
export function oidText(content: Buffer): string | undefined {
  if (content.length === 0 || content[content.length - 1]! & 0x80) return undefined;
  const arcs: bigint[] = [];
  let value = 0n;
  for (const byte of content) {
    value = (value << 7n) | BigInt(byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0n;
    }
  }
  const first = arcs[0]!;
  const [a, b] = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [a, b, ...arcs.slice(1)].join('.');
}
