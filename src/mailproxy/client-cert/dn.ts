/**
 * A certificate Name as nginx writes Auth-SSL-Subject and Auth-SSL-Issuer
 * (nginx-auth-http.md §1.3 rows 21-22): OpenSSL's `X509_NAME_print_ex(bio, name, 0,
 * XN_FLAG_RFC2253)` (crypto/asn1/a_strex.c `do_name_ex`, `do_print_ex`, `do_buf`,
 * `do_esc_char`), reproduced from the DER:
 *   - RDNs last to first, `,` between them, `+` between the values of one RDN (also reversed);
 *   - the attribute's OpenSSL short name (`CN`, `O`, `emailAddress`, ...), or the dotted OID
 *     with the value as `#` and the hex of its DER when OpenSSL does not know the attribute;
 *   - string values as UTF-8 with every byte above 0x7F, every control byte and DEL as `\XX`,
 *     `"+,;<>\` backslash-escaped, a leading `#` or space and a trailing space too; a value of
 *     a type that is no string as `#` and the hex of its DER.
 * So `-subj '/O=Example Org/CN=client user'` gives `CN=client user,O=Example Org`.
 */
import { children, oidText, readElement, TAG, type Element } from './der.js';

/**
 * OpenSSL's short names (OBJ_nid2sn) for the attributes a Name may carry. An OID OpenSSL knows
 * but this table lacks would print in the numeric form; the common DN attributes are all here.
 */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.13': 'description',
  '2.5.4.14': 'searchGuide',
  '2.5.4.15': 'businessCategory',
  '2.5.4.16': 'postalAddress',
  '2.5.4.17': 'postalCode',
  '2.5.4.18': 'postOfficeBox',
  '2.5.4.19': 'physicalDeliveryOfficeName',
  '2.5.4.20': 'telephoneNumber',
  '2.5.4.21': 'telexNumber',
  '2.5.4.22': 'teletexTerminalIdentifier',
  '2.5.4.23': 'facsimileTelephoneNumber',
  '2.5.4.24': 'x121Address',
  '2.5.4.25': 'internationaliSDNNumber',
  '2.5.4.26': 'registeredAddress',
  '2.5.4.27': 'destinationIndicator',
  '2.5.4.28': 'preferredDeliveryMethod',
  '2.5.4.29': 'presentationAddress',
  '2.5.4.30': 'supportedApplicationContext',
  '2.5.4.31': 'member',
  '2.5.4.32': 'owner',
  '2.5.4.33': 'roleOccupant',
  '2.5.4.34': 'seeAlso',
  '2.5.4.35': 'userPassword',
  '2.5.4.41': 'name',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier',
  '2.5.4.45': 'x500UniqueIdentifier',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.49': 'distinguishedName',
  '2.5.4.50': 'uniqueMember',
  '2.5.4.51': 'houseIdentifier',
  '2.5.4.54': 'dmdName',
  '2.5.4.65': 'pseudonym',
  '2.5.4.72': 'role',
  '2.5.4.97': 'organizationIdentifier',
  '2.5.4.98': 'c3',
  '2.5.4.99': 'n3',
  '2.5.4.100': 'dnsName',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '1.2.840.113549.1.9.2': 'unstructuredName',
  '1.2.840.113549.1.9.8': 'unstructuredAddress',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.3': 'mail',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

/**
 * Bytes per character of each universal string tag (a_strex.c `tag2nbyte`): 0 is UTF-8, which
 * OpenSSL then prints byte by byte; a tag not listed is no string and is dumped as hex.
 */
const CHAR_WIDTH: Readonly<Record<number, 0 | 1 | 2 | 4>> = {
  12: 0, // UTF8String
  18: 1, // NumericString
  19: 1, // PrintableString
  20: 1, // T61String
  22: 1, // IA5String
  23: 1, // UTCTime
  24: 1, // GeneralizedTime
  26: 1, // VisibleString
  28: 4, // UniversalString
  30: 2, // BMPString
};

/** `"+,;<>\`: always backslash-escaped (charmap.h entries with ASN1_STRFLGS_ESC_2253). */
const ESCAPED = new Set([0x22, 0x2b, 0x2c, 0x3b, 0x3c, 0x3e, 0x5c]);

/** The RFC 2253 text of a Name element (a SEQUENCE of SETs of attribute SEQUENCEs); undefined if malformed. */
export function rfc2253(name: Element): string | undefined {
  const rdns = children(name.content);
  if (!rdns) return undefined;
  const out: string[] = [];
  for (const rdn of rdns.reverse()) {
    const avas = rdn.tag === TAG.SET ? children(rdn.content) : undefined;
    if (!avas || avas.length === 0) return undefined;
    const parts: string[] = [];
    for (const ava of avas.reverse()) {
      const text = attribute(ava);
      if (text === undefined) return undefined;
      parts.push(text);
    }
    out.push(parts.join('+'));
  }
  return out.join(',');
}

function attribute(ava: Element): string | undefined {
  const fields = ava.tag === TAG.SEQUENCE ? children(ava.content) : undefined;
  if (fields?.length !== 2 || fields[0]!.tag !== TAG.OID) return undefined;
  const [type, value] = fields as [Element, Element];
  const oid = oidText(type.content);
  if (oid === undefined) return undefined;
  const short = SHORT_NAMES[oid];
  // XN_FLAG_DUMP_UNKNOWN_FIELDS: an attribute OpenSSL does not know is dumped whatever its type.
  if (short === undefined) return `${oid}=${hexDump(value)}`;
  const width = CHAR_WIDTH[value.tag];
  const text = width === undefined ? hexDump(value) : printString(value.content, width);
  return text === undefined ? undefined : `${short}=${text}`;
}

/** ASN1_STRFLGS_DUMP_DER: `#` and the element's DER in upper-case hex. */
function hexDump(value: Element): string {
  return `#${value.der.toString('hex').toUpperCase()}`;
}

/** `do_buf` with ASN1_STRFLGS_RFC2253: characters to UTF-8, each byte escaped as needed. */
function printString(content: Buffer, width: 0 | 1 | 2 | 4): string | undefined {
  // A BMPString or UniversalString of a broken length makes X509_NAME_print_ex fail.
  if ((width === 2 && content.length % 2) || (width === 4 && content.length % 4)) return undefined;
  const step = width === 0 ? 1 : width;
  let out = '';
  for (let i = 0; i < content.length; i += step) {
    const first = i === 0;
    const last = i + step >= content.length;
    // UTF-8 is taken byte by byte (no conversion twice); the other widths are converted.
    const bytes = width === 0 ? [content[i]!] : utf8(width === 1 ? content[i]! : width === 2 ? content.readUInt16BE(i) : content.readUInt32BE(i));
    for (const b of bytes) out += escapeByte(b, first, last);
  }
  return out;
}

/** `do_esc_char` for one output byte; `first`/`last` only matter for ASCII, as in OpenSSL. */
function escapeByte(b: number, first: boolean, last: boolean): string {
  if (b > 0x7e || b < 0x20) return `\\${b.toString(16).toUpperCase().padStart(2, '0')}`;
  const c = String.fromCharCode(b);
  if (ESCAPED.has(b)) return `\\${c}`;
  // do_buf sets the "first" flag, then replaces it by "last" on the final character.
  if (last && b === 0x20) return '\\ ';
  if (first && !last && (b === 0x20 || b === 0x23)) return `\\${c}`;
  return c;
}

/** OpenSSL's UTF8_putc: surrogates and values past U+10FFFF give nothing. */
function utf8(c: number): number[] {
  if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) return [];
  return [...Buffer.from(String.fromCodePoint(c), 'utf8')];
}
