/**
 * The syntax of an auth server's reply as nginx reads it: `ngx_mail_auth_http_ignore_status_line`
 * then `ngx_mail_auth_http_parse_header_line`, transcribed state for state (nginx-auth-http.md
 * §1.6, §2.1). Deliberately not an HTTP parser: nginx accepts things HTTP does not (no status
 * line, bare LF, a header without a colon) and refuses things HTTP allows (`_` in a name,
 * folding, a bare CR). It rescans from byte 0 on every call; the head is at most 1024 bytes, and
 * a fresh scan gives the same answer nginx's incremental one does.
 */

/** nginx reads the reply into one 1024-byte buffer (`ngx_create_temp_buf(ctx->pool, 1024)`). */
export const REPLY_BUFFER_BYTES = 1024;

export interface ReplyHeader {
  /** As sent; nginx compares names case-insensitively. */
  name: Buffer;
  /** Leading spaces skipped, trailing spaces trimmed; a TAB is value (§2.1). */
  value: Buffer;
}

export type ReplyHeadScan =
  /** No empty line yet: read more, unless the peer closed or the buffer is full (both fatal). */
  | { kind: 'incomplete' }
  /** `sent invalid response`: a CR not followed by LF ends the status line. */
  | { kind: 'bad-status-line' }
  /** `sent invalid header in response`. `headers` are the ones already read (nginx applied them). */
  | { kind: 'bad-header'; headers: ReplyHeader[] }
  /** The empty line was reached. `end` is the offset just past it; anything after is ignored. */
  | { kind: 'done'; headers: ReplyHeader[]; end: number };

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;

export function scanReplyHead(received: Buffer): ReplyHeadScan {
  const buf = received.subarray(0, REPLY_BUFFER_BYTES);
  const start = skipStatusLine(buf);
  if (start === 'incomplete' || start === 'bad-status-line') return { kind: start };
  return scanHeaders(buf, start);
}

/**
 * §1.6: a first line is skipped, whatever it says, only if it starts with `HTTP/` (case-sensitive);
 * otherwise headers start at byte 0 ("HTTP/0.9 style"). Returns where the headers start.
 */
function skipStatusLine(buf: Buffer): number | 'incomplete' | 'bad-status-line' {
  const prefix = 'HTTP/';
  for (let i = 0; i < prefix.length; i++) {
    if (i >= buf.length) return 'incomplete';
    if (buf[i] !== prefix.charCodeAt(i)) return 0;
  }
  for (let p = prefix.length; p < buf.length; p++) {
    if (buf[p] === LF) return p + 1;
    if (buf[p] === CR) {
      if (p + 1 >= buf.length) return 'incomplete';
      return buf[p + 1] === LF ? p + 2 : 'bad-status-line';
    }
  }
  return 'incomplete';
}

type State = 'start' | 'name' | 'space-before-value' | 'value' | 'space-after-value' | 'almost-done' | 'header-almost-done';

function scanHeaders(buf: Buffer, from: number): ReplyHeadScan {
  const headers: ReplyHeader[] = [];
  let state: State = 'start';
  let nameStart = 0;
  let nameEnd = 0;
  let valueStart = 0;
  let valueEnd = 0;
  const bad = (): ReplyHeadScan => ({ kind: 'bad-header', headers });
  const push = (): State => {
    headers.push({ name: Buffer.from(buf.subarray(nameStart, nameEnd)), value: Buffer.from(buf.subarray(valueStart, valueEnd)) });
    return 'start';
  };
  // On CR or LF the name or value ends here; CR must then be followed by LF.
  const endLine = (ch: number): State => (ch === LF ? push() : 'almost-done');

  for (let p = from; p < buf.length; p++) {
    const ch = buf[p] as number;
    switch (state) {
      case 'start':
        if (ch === CR) {
          state = 'header-almost-done';
        } else if (ch === LF) {
          return { kind: 'done', headers, end: p + 1 };
        } else {
          // The first character of a name is a letter or digit; a folded line (SP/HTAB) fails here.
          if (!isAlnum(ch)) return bad();
          nameStart = p;
          state = 'name';
        }
        break;
      case 'name':
        if (isAlnum(ch) || ch === 0x2d) break;
        if (ch === 0x3a) {
          nameEnd = p;
          state = 'space-before-value';
          break;
        }
        if (ch === CR || ch === LF) {
          // §2.1: a name without a colon (`JustAName`) is a header with an empty value.
          nameEnd = valueStart = valueEnd = p;
          state = endLine(ch);
          break;
        }
        return bad();
      case 'space-before-value':
        // Only SP is skipped: a TAB starts the value (§2.1).
        if (ch === SP) break;
        if (ch === CR || ch === LF) {
          valueStart = valueEnd = p;
          state = endLine(ch);
          break;
        }
        valueStart = p;
        state = 'value';
        break;
      case 'value':
        if (ch === SP) {
          valueEnd = p;
          state = 'space-after-value';
        } else if (ch === CR || ch === LF) {
          valueEnd = p;
          state = endLine(ch);
        }
        break;
      case 'space-after-value':
        if (ch === SP) break;
        if (ch === CR || ch === LF) state = endLine(ch);
        else state = 'value'; // an inner space: the value goes on, valueEnd moves at its real end
        break;
      case 'almost-done':
        if (ch !== LF) return bad();
        state = push();
        break;
      case 'header-almost-done':
        if (ch !== LF) return bad();
        return { kind: 'done', headers, end: p + 1 };
    }
  }
  return { kind: 'incomplete' };
}

/** nginx's `(ch | 0x20)` in `a..z`, or `0..9`: ASCII letters and digits only. */
function isAlnum(ch: number): boolean {
  const lower = ch | 0x20;
  return (lower >= 0x61 && lower <= 0x7a) || (ch >= 0x30 && ch <= 0x39);
}
