/**
 * The line side of the POP3 and SMTP command readers: client bytes buffered, handed out one line
 * at a time to the protocol's parser. nginx reads commands into a fixed buffer (POP3 128 bytes,
 * SMTP `smtp_client_buffer`) and ends the session with "client sent too long command" once it is
 * full before a line ends. Here the bound is per line, its CRLF included, whatever TCP's split:
 * nginx only rewinds its buffer once everything in it was read, so there a short command
 * pipelined behind others can hit the limit too; the same bytes should always give the same
 * result. IMAP's reader (literals) keeps its own buffer with the same rule.
 *
 * Pull-based: the session asks for one input at a time and stops asking while an action pauses
 * input (auth, STARTTLS, ...), so pipelined commands wait in the buffer, raw, for the backend.
 */

/** What a reader hands the session for one line; `Command` is the protocol's parsed command. */
export type LineInput<Command> =
  | Command
  /** A SASL response line: its first space-separated field (nginx reads it as an argument), maybe empty. */
  | { kind: 'response'; response: Buffer }
  /** A line nginx's parser refuses: the invalid-command reply, counted towards max_errors. */
  | { kind: 'invalid' }
  /** No LF within the limit (nginx: "client sent too long command"): the session ends. */
  | { kind: 'too-long' };

export interface LineReader<Input, Mode> {
  /** Appends bytes from the client, however split. */
  push(bytes: Buffer): void;
  /** The next complete line parsed for `mode` (within `maxBytes`, default the reader's); null until it has arrived. */
  next(mode: Mode, maxBytes?: number): Input | null;
  /** Bytes received but not yet read (pipelined after the last line read). */
  pending(): Buffer;
  /** Drops everything buffered (STARTTLS: plaintext sent after the command is never read). */
  discard(): void;
}

const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

/** `parse` gets each line with its LF; a line is at most `defaultMaxBytes` long unless `next` says otherwise. */
export function lineReader<Command, Mode>(defaultMaxBytes: number, parse: (line: Buffer, mode: Mode) => LineInput<Command>): LineReader<LineInput<Command>, Mode> {
  return new Reader(defaultMaxBytes, parse);
}

/** A class, not closures: every client connection has one, idle ones included, so its size counts. */
class Reader<Command, Mode> implements LineReader<LineInput<Command>, Mode> {
  /** Nothing allocated until bytes arrive. */
  private buf = EMPTY;
  private pos = 0;

  constructor(
    private readonly defaultMaxBytes: number,
    private readonly parse: (line: Buffer, mode: Mode) => LineInput<Command>,
  ) {}

  push(bytes: Buffer): void {
    this.buf = this.pos === this.buf.length ? Buffer.from(bytes) : Buffer.concat([this.buf.subarray(this.pos), bytes]);
    this.pos = 0;
  }

  next(mode: Mode, maxBytes = this.defaultMaxBytes): LineInput<Command> | null {
    const { buf, pos } = this;
    const lf = buf.subarray(pos, pos + maxBytes).indexOf(LF);
    if (lf < 0) {
      if (buf.length - pos < maxBytes) return null;
      this.discard();
      return { kind: 'too-long' };
    }
    const line = buf.subarray(pos, pos + lf + 1);
    this.pos = pos + lf + 1;
    return this.parse(line, mode);
  }

  pending(): Buffer {
    return Buffer.from(this.buf.subarray(this.pos));
  }

  discard(): void {
    this.buf = EMPTY;
    this.pos = 0;
  }
}
