/**
 * Byte classes shared by the request and reply codecs. nginx-auth-http.md §5.6 calls
 * 0x00-0x1F and 0x7F "control characters"; they are what would let a login inject commands
 * into POP3 USER/PASS or XCLIENT (§3.3, §3.4), so both directions refuse them.
 */
import { isAscii } from 'node:buffer';

export function isControlByte(b: number): boolean {
  return b < 0x20 || b === 0x7f;
}

/** True when the bytes hold a CR or LF: sent raw on a command or header line, they would start another one. */
export function hasLineBreak(b: Uint8Array): boolean {
  return b.includes(0x0d) || b.includes(0x0a);
}

export function hasControlByte(buf: Uint8Array): boolean {
  for (let i = 0; i < buf.length; i++) if (isControlByte(buf[i]!)) return true;
  return false;
}

/** Same rule on a string's code units (U+0000-U+001F, U+007F); C1 and other code points pass. */
export function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A UTF-16 half surrogate without its partner: Buffer.from(s, 'utf8') would turn it into U+FFFD. */
export function hasLoneSurrogate(s: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

// ignoreBOM keeps a leading BOM: here it is data, not a marker.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Text of an unescaped header value (Auth-SMTP-*, Client-Host, Auth-SSL-*): UTF-8 when the bytes
 * are valid UTF-8 (SMTPUTF8 envelopes, RFC 6531), otherwise latin1, one character per byte, so
 * nothing is replaced by U+FFFD and `Buffer.from(text, 'latin1')` recovers odd bytes.
 */
export function headerText(buf: Buffer): string {
  // Nearly every value is ASCII, where both decodings agree: skip the decoder's exception path.
  if (isAscii(buf)) return buf.toString('latin1');
  try {
    return strictUtf8.decode(buf);
  } catch {
    return buf.toString('latin1');
  }
}
