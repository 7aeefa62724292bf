/**
 * Test helper: reads an auth_http reply the way nginx does (nginx-auth-http.md §2.1-§2.3,
 * §6.6-§6.7), so reply tests can check what nginx would conclude, not just which bytes were
 * written. Deliberately independent of reply.ts. It models the parser and decision procedure,
 * not the per-method "did not send password" check (the codec does not know the method).
 */
import { isIP } from 'node:net';
import type { Protocol } from '../types.js';

export type NginxView =
  | { kind: 'ok'; server: string; port: number; user?: Buffer; pass?: Buffer }
  | { kind: 'error'; message: Buffer; wait: number; errorCode?: string }
  | { kind: 'wait'; wait: number }
  /** nginx gives the client its internal server error (§1.6). */
  | { kind: 'internal-error'; why: string };

export interface NginxRead {
  /** Headers as nginx's parser saw them: name as sent, value after its trimming. */
  headers: Array<[string, Buffer]>;
  view: NginxView;
}

const BUFFER = 1024;

export function readReplyAsNginx(reply: Buffer, protocol: Protocol): NginxRead {
  const headers: Array<[string, Buffer]> = [];
  const buf = reply.subarray(0, BUFFER);
  let pos = 0;
  // §1.6: a first line starting with "HTTP/" is skipped whatever it says; else parse from byte 0.
  if (buf.subarray(0, 5).toString('latin1') === 'HTTP/') {
    const lf = buf.indexOf(0x0a);
    if (lf === -1) return { headers, view: { kind: 'internal-error', why: 'no end of status line' } };
    pos = lf + 1;
  }
  for (;;) {
    const lf = buf.indexOf(0x0a, pos);
    // Buffer full or EOF before the empty line: nginx treats both as failure (§1.6).
    if (lf === -1) return { headers, view: { kind: 'internal-error', why: 'no empty line within 1024 bytes' } };
    let line = buf.subarray(pos, lf);
    pos = lf + 1;
    if (line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
    if (line.length === 0) break;
    if (line.includes(0x0d)) return { headers, view: { kind: 'internal-error', why: 'bare CR' } };
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*)(?::|$)/.exec(line.toString('latin1'));
    // §2.1: a name-only line ("JustAName") is a header with an empty value.
    if (!m) {
      return { headers, view: { kind: 'internal-error', why: 'invalid header' } };
    }
    const name = m[1] as string;
    let a = m[0].length;
    let b = line.length;
    while (a < b && line[a] === 0x20) a++; // §2.1: leading SP skipped, a TAB is value
    while (b > a && line[b - 1] === 0x20) b--; // trailing SP trimmed
    headers.push([name, Buffer.from(line.subarray(a, b))]);
  }
  return { headers, view: decide(headers, protocol) };
}

/** §2.3 with §2.2's semantics for each header. */
function decide(headers: Array<[string, Buffer]>, protocol: Protocol): NginxView {
  let error: Buffer | undefined;
  let waitStatus = false;
  const last = new Map<string, Buffer>();
  for (const [name, value] of headers) {
    const n = name.toLowerCase();
    if (n === 'auth-status') {
      const v = value.toString('latin1');
      if (v === 'OK') continue; // OK never clears an earlier error
      if (v === 'WAIT') waitStatus = true;
      // SMTP keeps only the message, so an empty one reads as "no error" (§2.2).
      else error = protocol === 'smtp' && value.length === 0 ? undefined : value;
      continue;
    }
    last.set(n, value);
  }
  const wait = atoi(last.get('auth-wait'));
  if (error !== undefined) {
    const code = protocol === 'smtp' ? last.get('auth-error-code')?.toString('latin1') : undefined;
    return { kind: 'error', message: error, wait: wait > 0 ? wait : 0, ...(code !== undefined ? { errorCode: code } : {}) };
  }
  if (waitStatus) return { kind: 'wait', wait: wait > 0 ? wait : 0 };
  const server = last.get('auth-server')?.toString('latin1');
  const port = atoi(last.get('auth-port'));
  if (server === undefined || last.get('auth-port') === undefined) return { kind: 'internal-error', why: 'did not send server or port' };
  if (isIP(server) === 0) return { kind: 'internal-error', why: 'invalid server address' };
  if (port < 1 || port > 65535) return { kind: 'internal-error', why: 'invalid server port' };
  const user = last.get('auth-user');
  const pass = last.get('auth-pass');
  return { kind: 'ok', server, port, ...(user ? { user } : {}), ...(pass ? { pass } : {}) };
}

/** ngx_atoi: digits only, else -1. */
function atoi(v: Buffer | undefined): number {
  if (v === undefined) return -1;
  const s = v.toString('latin1');
  return /^[0-9]+$/.test(s) ? Number(s) : -1;
}
