/**
 * A URL path prefix (the public URL's path, or an X-Forwarded-Prefix) in one normal form:
 * it starts and ends with `/` (`/` alone for the root), so `prefix + 'login'` is always right.
 */
import type { ParseResult } from '../authhttp/index.js';
import { shown } from './headers.js';

/**
 * Refused, each for a reason: no leading `/`; empty segments (`/a//b/`: nginx's merge_slashes
 * would route it elsewhere than the cookie scope says); `.` and `..` segments (the browser
 * removes them, so the cookie would never match); `;` (it would end the cookie's Path
 * attribute); `%2F` (proxies disagree on whether it is a slash); anything outside RFC 3986 pchar.
 */
export function normalisePrefix(path: string): ParseResult<string, 'bad-path'> {
  const fail = (why: string): ParseResult<string, 'bad-path'> => ({
    ok: false,
    error: { code: 'bad-path', detail: `path ${JSON.stringify(shown(path))}: ${why}` },
  });
  if (!path.startsWith('/')) return fail('must start with /');
  const segments = path.split('/').slice(1);
  if (segments[segments.length - 1] === '') segments.pop();
  for (const seg of segments) {
    if (seg === '') return fail('has an empty segment (//)');
    if (seg === '.' || seg === '..' || /^(%2e|\.){1,2}$/i.test(seg)) return fail('has a . or .. segment');
    if (seg.includes(';')) return fail('has a ";", which would end the cookie Path attribute');
    if (/%2f/i.test(seg)) return fail('has an encoded slash (%2F)');
    if (!PCHARS.test(seg)) return fail('has characters that must be percent-encoded (RFC 3986 pchar)');
  }
  return { ok: true, value: segments.length === 0 ? '/' : `/${segments.join('/')}/` };
}

/** RFC 3986 §3.3 pchar, less `;` (checked above for its own message). */
const PCHARS = /^(?:[A-Za-z0-9\-._~!$&'()*+,=:@]|%[0-9A-Fa-f]{2})+$/;
