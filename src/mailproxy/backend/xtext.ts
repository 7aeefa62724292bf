/**
 * xtext (RFC 3461 §4): printable ASCII except `+` and `=` as is, everything else `+XX`.
 * XCLIENT attribute values need it (Postfix XCLIENT_README); Debian's nginx 1.22 writes LOGIN
 * raw, so a space or `=` in a login injects attributes (nginx-auth-http.md §3.4). Postern encodes.
 */
export function xtext(value: Buffer): string {
  let out = '';
  for (const b of value) out += b >= 0x21 && b <= 0x7e && b !== 0x2b && b !== 0x3d ? String.fromCharCode(b) : `+${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}
