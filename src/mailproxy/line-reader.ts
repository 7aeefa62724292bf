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

/** `parse` gets each line with its LF; a line is at most `defaultMaxBytes` long unless `next` says otherwise. */
export function lineReader<Command, Mode>(defaultMaxBytes: number, parse: (line: Buffer, mode: Mode) => LineInput<Command>): LineReader<LineInput<Command>, Mode> {
  let buf = Buffer.alloc(0);
  let pos = 0;
  const discard = (): void => {
    buf = Buffer.alloc(0);
    pos = 0;
  };
  return {
    push(bytes) {
      buf = pos === buf.length ? Buffer.from(bytes) : Buffer.concat([buf.subarray(pos), bytes]);
      pos = 0;
    },
    next(mode, maxBytes = defaultMaxBytes) {
      const lf = buf.subarray(pos, pos + maxBytes).indexOf(LF);
      if (lf < 0) {
        if (buf.length - pos < maxBytes) return null;
        discard();
        return { kind: 'too-long' };
      }
      const line = buf.subarray(pos, pos + lf + 1);
      pos += lf + 1;
      return parse(line, mode);
    },
    pending: () => Buffer.from(buf.subarray(pos)),
    discard,
  };
}
