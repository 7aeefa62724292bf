/**
 * Reads POP3 client lines before login as nginx 1.22's ngx_mail_pop3_parse_command does
 * (nginx-auth-http.md §4.1, §6.12): a 4-letter command (USER PASS APOP AUTH CAPA QUIT NOOP STLS,
 * any case), then arguments split at runs of spaces, at most three. USER and PASS take the whole
 * rest of the line as their one argument, inner and trailing spaces kept [verified:
 * `USER bob smith ` logs in as `bob smith `]. A CR must be followed by LF; a bare LF ends a line.
 * Anything else is an invalid line, skipped to its LF (it counts towards max_errors).
 *
 * After a SASL challenge nginx reads the next line as arguments of the AUTH command (it leaves
 * its parser in `sw_argument`), so a response line is cut at its first space and only that first
 * field is the answer; more than three fields, or a stray CR, make it invalid too.
 *
 * nginx reads into a fixed 128-byte buffer and closes with "client sent too long command" when it
 * fills before a line ends; here the 128 bytes bound each line, CRLF included (../line-reader.ts).
 */
import { lineReader, type LineInput, type LineReader } from '../line-reader.js';

export const POP3_COMMANDS = ['USER', 'PASS', 'APOP', 'AUTH', 'CAPA', 'QUIT', 'NOOP', 'STLS'] as const;
export type Pop3CommandName = (typeof POP3_COMMANDS)[number];

/** A `response` comes in `response` mode only. */
export type Pop3Input = LineInput<{ kind: 'command'; name: Pop3CommandName; args: Buffer[] }>;

/** Whether the next line is a command or the answer to a SASL challenge. */
export type ReadMode = 'command' | 'response';

/** nginx's fixed POP3 client buffer (ngx_mail_pop3_init_protocol): a line may hold 128 bytes with its CRLF. */
export const POP3_LINE_LIMIT = 128;

const MAX_ARGS = 3;
const SP = 0x20;
const CR = 0x0d;
const INVALID: Pop3Input = { kind: 'invalid' };

export type Pop3CommandReader = LineReader<Pop3Input, ReadMode>;

export function pop3CommandReader(): Pop3CommandReader {
  return lineReader(POP3_LINE_LIMIT, parseLine);
}

/** One line, its LF included. */
function parseLine(line: Buffer, mode: ReadMode): Pop3Input {
  const body = withoutFinalCr(line.subarray(0, -1));
  if (body === undefined) return INVALID;
  return mode === 'command' ? commandLine(body) : responseLine(body);
}

/** The line without a CR before its LF; undefined when a CR stands anywhere else (nginx's sw_almost_done wants LF next). */
function withoutFinalCr(line: Buffer): Buffer | undefined {
  const body = line[line.length - 1] === CR ? line.subarray(0, -1) : line;
  return body.includes(CR) ? undefined : body;
}

function commandLine(body: Buffer): Pop3Input {
  const sp = body.indexOf(SP);
  const word = body.toString('latin1', 0, sp < 0 ? body.length : sp);
  const name = word.toUpperCase();
  if (!/^[A-Za-z]{4}$/.test(word) || !isCommand(name)) return INVALID;
  const rest = sp < 0 ? Buffer.alloc(0) : body.subarray(sp + 1);
  if (name === 'USER' || name === 'PASS') {
    // Leading spaces are skipped; from there the argument runs to the line end (§6.12).
    let start = 0;
    while (rest[start] === SP) start++;
    return { kind: 'command', name, args: start === rest.length ? [] : [Buffer.from(rest.subarray(start))] };
  }
  const args = fields(rest);
  return args.length > MAX_ARGS ? INVALID : { kind: 'command', name, args };
}

/** nginx starts the argument at the line's first byte: a leading space gives an empty first field. */
function responseLine(body: Buffer): Pop3Input {
  const sp = body.indexOf(SP);
  if (sp < 0) return { kind: 'response', response: Buffer.from(body) };
  if (1 + fields(body.subarray(sp + 1)).length > MAX_ARGS) return INVALID;
  return { kind: 'response', response: Buffer.from(body.subarray(0, sp)) };
}

/** The non-empty runs between spaces. */
function fields(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] === SP) {
      i++;
      continue;
    }
    const end = bytes.indexOf(SP, i);
    const stop = end < 0 ? bytes.length : end;
    out.push(Buffer.from(bytes.subarray(i, stop)));
    i = stop;
  }
  return out;
}

function isCommand(name: string): name is Pop3CommandName {
  return (POP3_COMMANDS as readonly string[]).includes(name);
}
