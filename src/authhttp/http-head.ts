/**
 * A raw HTTP/1.x request-head parser over bytes. It exists because nginx sends raw 0x80-0xFF,
 * raw DEL and, in Auth-SMTP-*, raw control bytes that Node's strict parser rejects
 * (nginx-auth-http.md §1.5 "Node http pitfall", §5.1). It knows HTTP syntax only; what the
 * headers mean is request.ts. It never throws on peer input.
 */
import type { ParseResult } from './types.js';

export type { ParseResult } from './types.js';

/** Names as sent (case kept); values raw bytes with leading/trailing SP/HTAB removed. */
export interface RawHead {
  method: string;
  target: string;
  version: string;
  headers: Array<[name: string, value: Buffer]>;
}

export type HeadErrorCode =
  | 'incomplete-head'
  | 'trailing-bytes'
  | 'bad-request-line'
  | 'bad-header-name'
  | 'obs-fold'
  | 'bad-header-value';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;

/**
 * Where the head ends: the offset just past the empty line (CRLFCRLF, or LFLF and mixes, since
 * nginx itself accepts bare-LF lines, §2.1), so `buf.subarray(0, end)` is the head.
 * `'too-large'` if the head cannot end within `maxBytes`; `'incomplete'` to wait for more bytes.
 */
export function findHeadEnd(buf: Buffer, maxBytes: number): number | 'too-large' | 'incomplete' {
  for (let i = buf.indexOf(LF); i !== -1 && i < maxBytes; i = buf.indexOf(LF, i + 1)) {
    let end: number | undefined;
    if (buf[i + 1] === LF) end = i + 2;
    else if (buf[i + 1] === CR && buf[i + 2] === LF) end = i + 3;
    if (end !== undefined) return end <= maxBytes ? end : 'too-large';
  }
  return buf.length >= maxBytes ? 'too-large' : 'incomplete';
}

/** Parses exactly one head: the bytes up to and including the empty line (see findHeadEnd). */
export function parseHead(head: Buffer): ParseResult<RawHead, HeadErrorCode> {
  let start = 0;
  let lineNo = 0;
  let requestLine: Omit<RawHead, 'headers'> | undefined;
  const headers: RawHead['headers'] = [];
  while (start < head.length) {
    const lf = head.indexOf(LF, start);
    if (lf === -1) break;
    lineNo++;
    const line = head.subarray(start, lf > start && head[lf - 1] === CR ? lf - 1 : lf);
    start = lf + 1;
    if (requestLine === undefined) {
      const r = parseRequestLine(line);
      if (!r.ok) return r;
      requestLine = r.value;
      continue;
    }
    if (line.length === 0) {
      if (start !== head.length) return fail('trailing-bytes', `${head.length - start} bytes after the empty line`);
      return { ok: true, value: { ...requestLine, headers } };
    }
    const h = parseHeaderLine(line, lineNo);
    if (!h.ok) return h;
    headers.push(h.value);
  }
  return fail('incomplete-head', 'no empty line ends the head');
}

/** `METHOD SP target SP HTTP/d.d`, single spaces as nginx writes it (§1.2). */
function parseRequestLine(line: Buffer): ParseResult<Omit<RawHead, 'headers'>, HeadErrorCode> {
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i <= line.length; i++) {
    if (i < line.length && line[i] !== SP) continue;
    parts.push(line.subarray(from, i).toString('latin1'));
    from = i + 1;
  }
  const [method, target, version] = parts;
  if (parts.length !== 3 || method === undefined || target === undefined || version === undefined) {
    return fail('bad-request-line', 'expected METHOD SP target SP version');
  }
  if (!isToken(method)) return fail('bad-request-line', 'method is not an RFC 9110 token');
  // The target is the configured auth_http path byte for byte (§1.2): ASCII without controls.
  if (!/^[\x21-\x7e]+$/.test(target)) return fail('bad-request-line', 'target has bytes outside visible ASCII');
  if (!/^HTTP\/[0-9]\.[0-9]$/.test(version)) return fail('bad-request-line', 'version is not HTTP/d.d');
  return { ok: true, value: { method, target, version } };
}

function parseHeaderLine(line: Buffer, lineNo: number): ParseResult<[string, Buffer], HeadErrorCode> {
  // RFC 9112 §5.2: obs-fold must be rejected (or replaced) by a server; nginx never folds.
  if (line[0] === SP || line[0] === HTAB) return fail('obs-fold', `line ${lineNo} is a folded continuation`);
  const colon = line.indexOf(0x3a);
  if (colon <= 0) return fail('bad-header-name', `line ${lineNo} has no header name before a colon`);
  const name = line.toString('latin1', 0, colon);
  // RFC 9112 §5.1: no whitespace between name and colon; anything but tchar is a smuggling risk.
  if (!isToken(name)) return fail('bad-header-name', `line ${lineNo}: header name is not an RFC 9110 token`);
  let a = colon + 1;
  let b = line.length;
  while (a < b && (line[a] === SP || line[a] === HTAB)) a++;
  while (b > a && (line[b - 1] === SP || line[b - 1] === HTAB)) b--;
  // A view, not a copy: the head's bytes belong to this request alone.
  const value = line.subarray(a, b);
  // Any other byte is allowed: nginx sends raw DEL, 0x80-0xFF and controls in Auth-SMTP-* (§1.5).
  if (value.indexOf(0) !== -1 || value.indexOf(CR) !== -1) return fail('bad-header-value', `${name} (line ${lineNo}) holds a NUL or bare CR`);
  return { ok: true, value: [name, value] };
}

/** RFC 9110 §5.6.2 token: 1*tchar. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
function isToken(s: string): boolean {
  return TOKEN.test(s);
}

function fail<T>(code: HeadErrorCode, detail: string): ParseResult<T, HeadErrorCode> {
  return { ok: false, error: { code, detail } };
}

/** Every value of header `name`, compared case-insensitively, in the order sent. */
export function getHeaderAll(head: RawHead, name: string): Buffer[] {
  const want = name.toLowerCase();
  return head.headers.filter(([n]) => n.toLowerCase() === want).map(([, v]) => v);
}

/**
 * The one value of header `name` (case-insensitive), or `undefined` when it is absent **or sent
 * more than once**: an ambiguous value counts as no value, so a shared-secret check fails closed.
 * Use getHeaderAll to tell the two apart.
 */
export function getHeader(head: RawHead, name: string): Buffer | undefined {
  const all = getHeaderAll(head, name);
  return all.length === 1 ? all[0] : undefined;
}
