/**
 * Splits a backend's bytes into lines for the login dialogues (src/mailproxy/backend/), CRLF (or
 * a bare LF) removed, one at a time, so whatever follows the line that ends the login stays
 * unread and goes to the client at the hand-over. nginx reads backend replies into its
 * `proxy_buffer` (one page) and fails a reply that does not end within it (nginx-auth-http.md
 * §3.1); a line longer than `maxBytes` is that failure here.
 */

/** nginx's proxy_buffer: one 4 KiB page. */
export const BACKEND_LINE_BYTES = 4096;

export class LineSplitter {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes = BACKEND_LINE_BYTES) {}

  feed(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** The next complete line, `null` until one has arrived, or `too-long` once it outgrows the buffer. */
  next(): Buffer | null | 'too-long' {
    const lf = this.buf.indexOf(0x0a);
    if (lf === -1) return this.buf.length >= this.maxBytes ? 'too-long' : null;
    if (lf + 1 > this.maxBytes) return 'too-long';
    const line = this.buf.subarray(0, lf > 0 && this.buf[lf - 1] === 0x0d ? lf - 1 : lf);
    this.buf = this.buf.subarray(lf + 1);
    return line;
  }

  /** The bytes not yet returned as lines. */
  rest(): Buffer {
    return this.buf;
  }
}
