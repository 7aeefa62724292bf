#!/usr/bin/env node
// Regenerates openssl-names.ts: certificates with crafted names and serial numbers, each printed
// by the openssl command line exactly as nginx prints them (X509_NAME_print_ex with
// XN_FLAG_RFC2253 via `-nameopt RFC2253`, i2a_ASN1_INTEGER via `-serial`). Run it with the
// OpenSSL 3.0 that Debian 12's nginx links against:
//   node src/mailproxy/client-cert/testdata/generate.mjs > src/mailproxy/client-cert/testdata/openssl-names.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'dn-fixtures-'));
const openssl = (args, input) => execFileSync('openssl', args, { cwd: dir, input, encoding: input === undefined ? 'utf8' : undefined, stdio: ['pipe', 'pipe', 'pipe'] });

// DER building blocks.
const len = (n) => (n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]));
const tlv = (tag, content) => Buffer.concat([Buffer.from([tag]), len(content.length), content]);
const oid = (text) => {
  const arcs = text.split('.').map(BigInt);
  const body = [arcs[0] * 40n + arcs[1], ...arcs.slice(2)].flatMap((v) => {
    const out = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) out.unshift(Number(v & 0x7fn) | 0x80);
    return out;
  });
  return tlv(0x06, Buffer.from(body));
};
const str = (tag, bytes) => tlv(tag, Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'utf8'));
const utf8 = (s) => str(0x0c, s);
const printable = (s) => str(0x13, s);
const ia5 = (s) => str(0x16, Buffer.from(s, 'latin1'));
const t61 = (s) => str(0x14, Buffer.from(s, 'latin1'));
const bmp = (s) => str(0x1e, Buffer.from(s, 'utf16le').swap16());
const universal = (codePoints) => str(0x1c, Buffer.concat(codePoints.map((c) => { const b = Buffer.alloc(4); b.writeUInt32BE(c); return b; })));
const ava = (o, value) => tlv(0x30, Buffer.concat([oid(o), value]));
/** A Name: each RDN is a list of [oid, value] pairs (more than one = multi-valued). */
const name = (...rdns) => tlv(0x30, Buffer.concat(rdns.map((rdn) => tlv(0x31, Buffer.concat(rdn.map(([o, v]) => ava(o, v)))))));

const CN = '2.5.4.3', O = '2.5.4.10', OU = '2.5.4.11', C = '2.5.4.6', UID = '0.9.2342.19200300.100.1.1', DC = '0.9.2342.19200300.100.1.25', EMAIL = '1.2.840.113549.1.9.1';
const KNOWN = ['2.5.4.3', '2.5.4.4', '2.5.4.5', '2.5.4.6', '2.5.4.7', '2.5.4.8', '2.5.4.9', '2.5.4.10', '2.5.4.11', '2.5.4.12', '2.5.4.13', '2.5.4.14', '2.5.4.15', '2.5.4.16', '2.5.4.17', '2.5.4.18', '2.5.4.19', '2.5.4.20', '2.5.4.21', '2.5.4.22', '2.5.4.23', '2.5.4.24', '2.5.4.25', '2.5.4.26', '2.5.4.27', '2.5.4.28', '2.5.4.29', '2.5.4.30', '2.5.4.31', '2.5.4.32', '2.5.4.33', '2.5.4.34', '2.5.4.35', '2.5.4.41', '2.5.4.42', '2.5.4.43', '2.5.4.44', '2.5.4.45', '2.5.4.46', '2.5.4.49', '2.5.4.50', '2.5.4.51', '2.5.4.54', '2.5.4.65', '2.5.4.72', '2.5.4.97', '2.5.4.98', '2.5.4.99', '2.5.4.100', '1.2.840.113549.1.9.1', '1.2.840.113549.1.9.2', '1.2.840.113549.1.9.8', '0.9.2342.19200300.100.1.1', '0.9.2342.19200300.100.1.3', '0.9.2342.19200300.100.1.25', '1.3.6.1.4.1.311.60.2.1.1', '1.3.6.1.4.1.311.60.2.1.2', '1.3.6.1.4.1.311.60.2.1.3'];

const NAMES = {
  'nginx capture: O then CN': name([[O, utf8('Example Org')]], [[CN, utf8('client user')]]),
  'PrintableString and a country': name([[C, printable('DE')]], [[O, printable('Example')]], [[CN, printable('alice')]]),
  'RFC 2253 specials inside': name([[CN, utf8('a,b+c"d\\e<f>g;h=i#j')]]),
  'leading #, leading and trailing spaces': name([[CN, utf8('#hash')]], [[OU, utf8(' lead')]], [[O, utf8('trail ')]]),
  'a lone # and a lone space': name([[CN, utf8('#')]], [[OU, utf8(' ')]]),
  'an empty value': name([[CN, utf8('')]]),
  'UTF-8 beyond ASCII': name([[CN, utf8('Jürgen Ñ 日本 😀')]]),
  'T61String with Latin-1': name([[CN, t61('J\u00fcrgen')]]),
  'BMPString': name([[CN, bmp('Ω€ x')]]),
  'UniversalString, astral': name([[CN, universal([0x41, 0x1f600, 0x20ac])]]),
  'control bytes and DEL': name([[CN, ia5('a\x01b\x7fc\x00d\te')]]),
  'multi-valued RDN': name([[O, utf8('Org')]], [[CN, utf8('bob')], [UID, utf8('b123')]]),
  'domain components and email': name([[DC, ia5('org')]], [[DC, ia5('example')]], [[EMAIL, ia5('a@example.org')]], [[CN, utf8('a')]]),
  'an unknown attribute': name([['1.2.3.4', utf8('opaque')]], [[CN, utf8('x')]]),
  'an unknown attribute in a multi-valued RDN': name([[CN, utf8('x')], ['1.3.6.1.4.1.99999.1', printable('v')]]),
  'a known attribute with a SEQUENCE value': name([[CN, tlv(0x30, tlv(0x02, Buffer.from([5])))]]),
  NumericString: name([[CN, str(0x12, '123 45')]]),
  'every attribute of the short-name table': name(...KNOWN.map((o) => [[o, utf8('v')]])),
};

const SERIALS = {
  zero: [0x00],
  one: [0x01],
  'high bit (sign octet)': [0x00, 0x80],
  'nginx capture': [...Buffer.from('58D2154396EC05C481613729AF923BADFF69206F', 'hex')],
  'minus one': [0xff],
  'minus 128': [0x80],
  'minus 129': [0xff, 0x7f],
  'minus 256': [0xff, 0x00],
  'twenty octets': [0x7f, ...Array(19).fill(0xab)],
  'thirty-six octets (a line break)': [0x01, ...Array(35).fill(0x23)],
};

// The base: a self-signed v3 certificate; its tbsCertificate is rebuilt around each case.
openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '2', '-subj', '/CN=base']);
const base = Buffer.from(openssl(['x509', '-in', 'c.pem', '-outform', 'DER'], Buffer.alloc(0)));
const read = (buf, off) => {
  let n = buf[off + 1], start = off + 2;
  if (n & 0x80) { const k = n & 0x7f; n = 0; for (let i = 0; i < k; i++) n = n * 256 + buf[start + i]; start += k; }
  return { der: buf.subarray(off, start + n), content: buf.subarray(start, start + n) };
};
const kids = (content) => { const out = []; for (let o = 0; o < content.length; ) { const e = read(content, o); out.push(e.der); o += e.der.length; } return out; };
const [tbs, sigAlg, sig] = kids(read(base, 0).content);
const tbsFields = kids(read(tbs, 0).content); // version, serial, sigAlg, issuer, validity, subject, spki, extensions
const cert = ({ serial = tbsFields[1], issuer = tbsFields[3], subject = tbsFields[5], v1 = false }) => {
  const fields = [tbsFields[0], serial, tbsFields[2], issuer, tbsFields[4], subject, tbsFields[6], tbsFields[7]];
  return tlv(0x30, Buffer.concat([tlv(0x30, Buffer.concat(v1 ? fields.slice(1, 7) : fields)), sigAlg, sig]));
};
const show = (der) => {
  writeFileSync(join(dir, 'x.der'), der);
  const out = openssl(['x509', '-inform', 'DER', '-in', 'x.der', '-noout', '-subject', '-issuer', '-serial', '-nameopt', 'RFC2253']);
  const field = (k) => (new RegExp(`^${k}=(.*)$`, 'm').exec(out) ?? [])[1];
  return { subject: field('subject'), issuer: field('issuer'), serial: /^serial=([\s\S]*)\n$/m.exec(out.slice(out.indexOf('serial=')))[1] };
};

const names = Object.entries(NAMES).map(([label, der]) => {
  let printed;
  try {
    printed = show(cert({ subject: der, issuer: der }));
  } catch (err) {
    throw new Error(`${label}: ${err.stderr}`);
  }
  if (printed.subject !== printed.issuer) throw new Error(label);
  return { label, der: der.toString('hex'), rfc2253: printed.subject };
});
const serials = Object.entries(SERIALS).map(([label, bytes]) => ({ label, content: Buffer.from(bytes).toString('hex'), text: show(cert({ serial: tlv(0x02, Buffer.from(bytes)) })).serial }));
const v1 = cert({ v1: true, subject: NAMES['nginx capture: O then CN'] });
const v1Shown = show(v1);
rmSync(dir, { recursive: true });

const version = execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim();
console.log(`// Generated by generate.mjs with ${version}: do not edit, regenerate.
// What OpenSSL prints for crafted certificate names (-nameopt RFC2253) and serial numbers (-serial).
export const NAMES: ReadonlyArray<{ label: string; der: string; rfc2253: string }> = ${JSON.stringify(names, null, 2)};

export const SERIALS: ReadonlyArray<{ label: string; content: string; text: string }> = ${JSON.stringify(serials, null, 2)};

/** A version 1 certificate (no [0] version field; signature not valid) and what OpenSSL printed for it. */
export const V1_CERT = ${JSON.stringify({ der: v1.toString('base64'), ...v1Shown }, null, 2)};`);
