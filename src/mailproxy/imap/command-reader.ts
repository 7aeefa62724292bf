/**
 * Reads IMAP commands from a client before login, as nginx's ngx_mail_imap_parse_command does
 * (nginx-auth-http.md §6.12): a tag of [A-Za-z0-9._-] (at most 32), one of the six commands
 * nginx knows (case-insensitive), and up to three arguments, each an atom, a quoted string (with
 * `\` escapes) or a literal `{n}` (the client waits for a `+ OK` continuation) or `{n+}` (it does
 * not). A bad line is skipped up to its LF and reported; when it ended in a non-synchronizing
 * literal the bytes that follow cannot be framed, so the session must close, as nginx does.
 * Everything is bytes: a literal may carry any octet, CR and LF included.
 *
 * nginx reads a command into its `imap_client_buffer` and ends the session with "client sent too
 * long command" when the buffer is full before the command ends. Here the bound applies to each
 * command, from its tag to its last LF, literals included (or to each SASL line), CRLF included,
 * whatever TCP's split: the rule of the POP3 and SMTP readers (../line-buffer.ts). A literal that
 * cannot fit is refused when announced, before its `+ OK`.
 *
 * `push` stops after anything that may start an auth request (LOGIN, AUTHENTICATE, a SASL line):
 * the session pauses there, and what follows must stay raw in `pending()`, since on success it
 * is pipelined to the backend unparsed (§3.5). The session calls `push` again (with no bytes) to
 * go on with what is buffered.
 */

export const IMAP_COMMANDS = ['NOOP', 'LOGIN', 'LOGOUT', 'STARTTLS', 'CAPABILITY', 'AUTHENTICATE'] as const;
export type ImapCommandName = (typeof IMAP_COMMANDS)[number];

export type ImapInput =
  | { kind: 'command'; tag: string; name: ImapCommandName; args: Buffer[] }
  /** A synchronizing literal was announced: send `+ OK` and keep reading. */
  | { kind: 'continue' }
  /** Not a command nginx accepts; `tag` when one was read. `quit`: the stream cannot be framed any more. */
  | { kind: 'invalid'; tag: string | null; quit: boolean }
  /** A SASL response line (after expectLine), without its CRLF. */
  | { kind: 'line'; line: Buffer }
  /**
   * The command outgrew the buffer (nginx: "client sent too long command"): nginx answers
   * `<tag> BAD invalid command` (`* ` when no tag was read yet) and closes. In a SASL exchange
   * the tag is the AUTHENTICATE command's, which only the session knows: then `tag` is null.
   */
  | { kind: 'too-long'; tag: string | null };

const MAX_TAG = 32;
const TAG = /^[A-Za-z0-9._-]+$/;
const MAX_ARGS = 3;
/** nginx's imap_client_buffer default (one page). A literal counts towards it, as in nginx. */
export const DEFAULT_IMAP_BUFFER = 4096;

export interface ImapCommandReader {
  /** Feeds bytes from the client; returns what they completed, in order. */
  push(bytes: Buffer): ImapInput[];
  /** Bytes received but not consumed (pipelined after the last complete command). */
  pending(): Buffer;
  /** The next input is one raw line (a SASL response to a challenge), not a command. */
  expectLine(): void;
}

function isTag(tag: string): boolean {
  return tag.length > 0 && tag.length <= MAX_TAG && TAG.test(tag);
}

export function imapCommandReader(maxBytes = DEFAULT_IMAP_BUFFER): ImapCommandReader {
  return new Reader(maxBytes);
}

const EMPTY = Buffer.alloc(0);

type Partial = { tag: string; name: ImapCommandName; args: Buffer[]; literal: number | null };

/** A class, not closures: every client connection has one, idle ones included, so its size counts. */
class Reader implements ImapCommandReader {
  private buf = EMPTY;
  /** Where parsing resumes in `buf`; a command cut short (by a literal, or an incomplete line) waits in `partial`. */
  private pos = 0;
  /** Where the command (or SASL line) being read began in `buf`: the buffer limit counts from here. */
  private start = 0;
  private partial: Partial | null = null;
  private lineMode = false;

  constructor(private readonly maxBytes: number) {}

  push(bytes: Buffer): ImapInput[] {
    // Keep the unfinished command's consumed part (its literals) for the limit.
    const from = this.partial ? this.start : this.pos;
    this.buf = this.buf.length === from ? Buffer.from(bytes) : Buffer.concat([this.buf.subarray(from), bytes]);
    this.pos -= from;
    this.start = this.partial ? this.start - from : this.pos;
    const out: ImapInput[] = [];
    for (;;) {
      const got = this.next();
      if (got === null) {
        // Nothing complete: bounded like nginx's buffer.
        if (this.buf.length - this.start >= this.maxBytes) out.push(this.tooLong(this.tagOf()));
        return out;
      }
      out.push(got);
      if (got.kind === 'too-long' || (got.kind === 'invalid' && got.quit)) return out;
      // A synchronizing literal: the client sends its data only after our `+ OK`.
      if (got.kind === 'continue') return out;
      // After AUTHENTICATE the session decides whether a SASL line follows (it calls expectLine);
      // after LOGIN or a SASL line it may ask the auth server, and the rest must stay raw.
      if (got.kind === 'line' || (got.kind === 'command' && (got.name === 'AUTHENTICATE' || got.name === 'LOGIN'))) return out;
    }
  }

  pending(): Buffer {
    return this.buf.subarray(this.pos);
  }

  expectLine(): void {
    this.lineMode = true;
  }

  /** Past the buffer: everything held is dropped, the session closes. */
  private tooLong(tag: string | null): ImapInput {
    this.buf = EMPTY;
    this.pos = this.start = 0;
    this.partial = null;
    this.lineMode = false;
    return { kind: 'too-long', tag };
  }

  /** Whether the command ending with the LF at `lf` outgrew the buffer. */
  private overLimit(lf: number): boolean {
    return lf + 1 - this.start > this.maxBytes;
  }

  private invalid(tag: string | null): ImapInput | null {
    const { buf, pos } = this;
    // Skip to the end of the line; a line ending in `{n+}` means unframeable data follows.
    const lf = buf.indexOf(0x0a, pos);
    if (lf < 0) return null;
    if (this.overLimit(lf)) return this.tooLong(tag);
    const line = buf.subarray(pos, lf).toString('latin1').replace(/\r$/, '');
    this.pos = lf + 1;
    this.partial = null;
    return { kind: 'invalid', tag, quit: /\{\d+\+\}$/.test(line) };
  }

  /** Parses from `pos`; null: need more bytes. */
  private next(): ImapInput | null {
    const { buf, pos, partial } = this;
    if (this.lineMode) {
      this.start = pos;
      const lf = buf.indexOf(0x0a, pos);
      if (lf < 0) return null;
      if (this.overLimit(lf)) return this.tooLong(null);
      const line = Buffer.from(buf.subarray(pos, lf > pos && buf[lf - 1] === 0x0d ? lf - 1 : lf));
      this.pos = lf + 1;
      this.lineMode = false;
      return { kind: 'line', line };
    }
    if (partial && partial.literal === null) return this.rest(partial);
    if (partial && partial.literal !== null) {
      const n = partial.literal;
      if (buf.length - pos < n) return null;
      partial.args.push(Buffer.from(buf.subarray(pos, pos + n)));
      this.pos = pos + n;
      partial.literal = null;
      return this.rest(partial);
    }
    this.start = pos;
    const lineEnd = buf.indexOf(0x0a, pos);
    const sp = buf.indexOf(0x20, pos);
    const tagEnd = sp >= 0 && (lineEnd < 0 || sp < lineEnd) ? sp : -1;
    if (tagEnd < 0) return lineEnd < 0 ? null : this.invalid(null);
    const tag = buf.toString('latin1', pos, tagEnd);
    if (!isTag(tag)) return this.invalid(null);
    if (lineEnd < 0) return null;
    let i = tagEnd;
    while (buf[i] === 0x20) i++;
    let j = i;
    while (j < lineEnd && /[A-Za-z]/.test(String.fromCharCode(buf[j]!))) j++;
    const name = buf.toString('latin1', i, j).toUpperCase() as ImapCommandName;
    const after = buf[j];
    if (!IMAP_COMMANDS.includes(name) || (after !== 0x20 && after !== 0x0d && after !== 0x0a)) return this.invalid(tag);
    this.pos = j;
    this.partial = { tag, name, args: [], literal: null };
    return this.rest(this.partial);
  }

  /** Arguments after the command name (or after a literal), up to the end of the line. */
  private rest(cmd: Partial): ImapInput | null {
    const buf = this.buf;
    const lineEnd = buf.indexOf(0x0a, this.pos);
    if (lineEnd < 0) return null;
    let i = this.pos;
    while (i < lineEnd) {
      const c = buf[i]!;
      if (c === 0x20) {
        i++;
        continue;
      }
      if (c === 0x0d) {
        if (i + 1 !== lineEnd) return this.invalid(cmd.tag);
        break;
      }
      if (cmd.args.length >= MAX_ARGS) return this.invalid(cmd.tag);
      if (c === 0x22 /* " */) {
        const out: number[] = [];
        let k = i + 1;
        for (; k < lineEnd && buf[k] !== 0x22; k++) {
          if (buf[k] === 0x5c /* \ */) k++;
          if (k >= lineEnd || buf[k] === 0x0d) return this.invalid(cmd.tag);
          out.push(buf[k]!);
        }
        if (k >= lineEnd) return this.invalid(cmd.tag);
        cmd.args.push(Buffer.from(out));
        i = k + 1;
        continue;
      }
      if (c === 0x7b /* { */) {
        const m = /^\{(\d{1,9})(\+?)\}\r?$/.exec(buf.toString('latin1', i, lineEnd));
        if (!m) return this.invalid(cmd.tag);
        cmd.literal = Number(m[1]);
        // The literal and at least the LF after it must fit too.
        if (this.overLimit(lineEnd + cmd.literal + 1)) return this.tooLong(cmd.tag);
        this.pos = lineEnd + 1;
        return m[2] === '+' ? this.next() : { kind: 'continue' };
      }
      let k = i;
      while (k < lineEnd && buf[k] !== 0x20 && buf[k] !== 0x0d) k++;
      cmd.args.push(Buffer.from(buf.subarray(i, k)));
      i = k;
    }
    if (this.overLimit(lineEnd)) return this.tooLong(cmd.tag);
    this.pos = lineEnd + 1;
    this.partial = null;
    return { kind: 'command', tag: cmd.tag, name: cmd.name, args: cmd.args };
  }

  /** The tag nginx has stored for the unfinished command (set once the space after a valid tag is read). */
  private tagOf(): string | null {
    if (this.partial) return this.partial.tag;
    if (this.lineMode) return null;
    const sp = this.buf.indexOf(0x20, this.start);
    const tag = sp < 0 ? '' : this.buf.toString('latin1', this.start, sp);
    return isTag(tag) ? tag : null;
  }
}
