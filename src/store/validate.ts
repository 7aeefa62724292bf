/**
 * Normalising and validating what callers hand the directory. Every write and lookup goes
 * through these so `Alice@Example.COM ` and `alice@example.com` are one mailbox. Problems
 * throw DirectoryError('invalid') with a message that says what a valid value looks like.
 */
import ipaddr from 'ipaddr.js';
import { PROTOCOLS, type Protocol } from '../authhttp/types.js';
import { DirectoryError, type CertMatch } from '../directory/types.js';

function invalid(message: string): never {
  throw new DirectoryError('invalid', message);
}

/** Trim, lower-case and compose Unicode so equal names compare equal. */
export function normaliseName(value: string): string {
  return value.trim().normalize('NFC').toLowerCase();
}

// Letters (any script: IDN U-labels), digits, '-' and '_' (service names); no leading or
// trailing hyphen; at most 63 characters per label.
const LABEL = /^(?!-)[\p{L}\p{N}_-]{1,63}(?<!-)$/u;

/** A lower-case domain name such as `example.com`. */
export function parseDomainName(value: string): string {
  const name = normaliseName(value).replace(/\.$/, '');
  if (name === '') invalid('a domain name is required, e.g. "example.com"');
  if (name.length > 253 || !name.split('.').every((l) => LABEL.test(l))) {
    invalid(`"${name}" is not a valid domain name (letters, digits and hyphens, dot-separated, e.g. "example.com")`);
  }
  return name;
}

// Whitespace, control characters and the RFC 5322 specials that cannot appear unquoted.
const BAD_LOCAL = /[\s\p{Cc}()<>[\]:;@\\,"]/u;

/** A lower-case `local@domain` address; returns it with its parts. */
export function parseAddress(value: string): { address: string; local: string; domain: string } {
  const address = normaliseName(value);
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) {
    invalid(`"${address}" is not an address: expected local@domain, e.g. "alice@example.com"`);
  }
  const local = address.slice(0, at);
  if (local.length > 64 || BAD_LOCAL.test(local)) {
    invalid(`"${address}" is not a valid address: the part before "@" must be 1-64 characters without spaces, control characters or ()<>[]:;@\\,"`);
  }
  const domain = parseDomainName(address.slice(at + 1));
  return { address: `${local}@${domain}`, local, domain };
}

/** One of imap, pop3, smtp; at least one, returned in canonical order without repeats. */
export function parseProtocols(values: readonly string[]): Protocol[] {
  const wanted = new Set(values.map(normaliseName).filter((p) => p !== ''));
  for (const p of wanted) {
    if (!(PROTOCOLS as readonly string[]).includes(p)) {
      invalid(`unknown protocol "${p}": use a comma-separated subset of ${PROTOCOLS.join(',')}`);
    }
  }
  if (wanted.size === 0) invalid(`at least one protocol is required (${PROTOCOLS.join(',')}); to block all logins, disable the mailbox instead`);
  return PROTOCOLS.filter((p) => wanted.has(p));
}

function isPlainIp(value: string): boolean {
  // ipaddr.isValid also accepts legacy forms such as "10" or "0x0a.1"; networks in the
  // directory must read unambiguously, so IPv4 must be four-part decimal.
  return ipaddr.IPv4.isValidFourPartDecimal(value) || ipaddr.IPv6.isValid(value);
}

/** One CIDR (`10.0.0.0/8`, `2001:db8::/32`) or single IP, in canonical text form. */
export function parseNetwork(value: string): string {
  const text = value.trim().toLowerCase();
  const slash = text.indexOf('/');
  if (slash === -1) {
    if (!isPlainIp(text)) invalid(`"${text}" is not an IP address or CIDR network (e.g. "192.0.2.7", "10.0.0.0/8", "2001:db8::/32")`);
    return ipaddr.parse(text).toString();
  }
  if (!isPlainIp(text.slice(0, slash)) || !ipaddr.isValidCIDR(text)) {
    invalid(`"${text}" is not a valid CIDR network (e.g. "10.0.0.0/8", "2001:db8::/32")`);
  }
  const [addr, bits] = ipaddr.parseCIDR(text);
  const network = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
  if (network.toString() !== addr.toString()) {
    // Host bits set usually means a typo in the prefix; say what the network would be.
    invalid(`"${text}" has host bits set: did you mean "${network.toString()}/${bits}"?`);
  }
  return `${addr.toString()}/${bits}`;
}

export function parseNetworks(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (v.trim() === '') continue;
    const n = parseNetwork(v);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** A TCP port, 1..65535, or null (the backend does not serve that protocol). */
export function parsePort(value: number | null | undefined, label: string): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value) || value < 1 || value > 65535) invalid(`${label} port must be a whole number from 1 to 65535, not ${String(value)}`);
  return value;
}

/** A backend name: a short identifier, lower-cased. */
export function parseBackendName(value: string): string {
  const name = normaliseName(value);
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(name)) {
    invalid(`"${name}" is not a valid backend name: use 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  }
  return name;
}

/** A backend host: an IP literal (IPv6 without brackets) or a host name. */
export function parseHost(value: string): string {
  const text = value.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (text === '') invalid('a backend host is required (an IP address or host name)');
  if (isPlainIp(text)) return ipaddr.parse(text).toString();
  if (/^[0-9.]+$/.test(text)) invalid(`"${text}" is not a valid IPv4 address`);
  try {
    return parseDomainName(text);
  } catch {
    return invalid(`"${text}" is not a valid backend host: use an IP address or host name`);
  }
}

/** A stored password hash: `{SCHEME}...` or a bare crypt string; never empty or multi-line. */
export function parsePasswordHash(value: string | null): string | null {
  if (value === null) return null;
  if (value === '' || /[\s\p{Cc}]/u.test(value)) {
    invalid('a password hash must be non-empty and contain no spaces or control characters, e.g. "{SHA512-CRYPT}$6$..."');
  }
  return value;
}

/** SHA-1 fingerprint as 40 lower-case hex characters; accepts colons and upper case. */
export function normaliseFingerprint(value: string): string {
  const hex = value.trim().toLowerCase().replace(/:/g, '');
  if (!/^[0-9a-f]{40}$/.test(hex)) {
    invalid(`"${value.trim()}" is not a SHA-1 fingerprint: expected 40 hex characters, optionally colon-separated`);
  }
  return hex;
}

/** A certificate mapping value: the fingerprint normalised, or the subject DN trimmed (DNs are case-sensitive). */
export function parseCertValue(match: CertMatch, value: string): string {
  if (match === 'fingerprint') return normaliseFingerprint(value);
  if (match !== 'subject') invalid(`certificate match must be "subject" or "fingerprint", not "${String(match)}"`);
  const dn = value.trim();
  if (dn === '' || /\p{Cc}/u.test(dn)) invalid('a certificate subject must be a non-empty RFC 2253 DN, e.g. "CN=alice,O=Example"');
  return dn;
}

/**
 * A name given to a backend as a login (a mailbox's backend login, a master user): sent verbatim
 * as nginx's Auth-User, so no whitespace or control characters (nginx 1.22 writes it raw into
 * POP3 USER and SMTP XCLIENT LOGIN=, where a space would start another attribute), and case is
 * kept (backends may be case-sensitive).
 */
function parseLoginName(value: string, what: string, example: string): string {
  const name = typeof value === 'string' ? value.trim().normalize('NFC') : '';
  if (name === '' || name.length > 255 || /[\s\p{Cc}]/u.test(name)) {
    invalid(`${what} must be 1-255 characters without spaces or control characters, e.g. "${example}"`);
  }
  return name;
}

/** A mailbox's backend login (the name the backend knows it by), or null for its address. */
export function parseBackendLogin(value: string | null): string | null {
  return value === null ? null : parseLoginName(value, 'a backend login', 'alice');
}

/** Dovecot's auth_master_user_separator: one character that is not a letter, digit, space, "@" or ".". */
export function parseMasterSeparator(value: string | undefined): string {
  const sep = value ?? '*';
  if ([...sep].length !== 1 || /[\p{L}\p{N}\s\p{Cc}@.]/u.test(sep)) {
    invalid(`the master user separator must be one character such as "*" (Dovecot's auth_master_user_separator), not "${sep}"`);
  }
  return sep;
}

/** A backend's master user name; it may not contain the separator, or the backend could not split the login. */
export function parseMasterUser(value: string, separator: string): string {
  const user = parseLoginName(value, 'a master user name', 'postern');
  if (user.includes(separator)) invalid(`the master user name "${user}" contains the separator "${separator}": the backend could not tell where the user's login ends`);
  return user;
}
