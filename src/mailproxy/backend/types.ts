/**
 * The backend side of a proxied login as pure dialogues: the shell feeds each line the backend
 * sends (without its CRLF) and does what the step says. Nothing here touches a socket, so every
 * protocol's login is tested line by line (nginx-auth-http.md §3 is what nginx does; where
 * Postern does better, the dialogue says so).
 */

export type BackendStep =
  /** Write these bytes to the backend, then feed the next line. */
  | { kind: 'send'; bytes: Buffer }
  /** Part of a reply (an untagged or continued line): feed the next line. */
  | { kind: 'more' }
  /** Logged in: write `toClient` to the client, then pipe bytes both ways. */
  | { kind: 'done'; toClient: Buffer }
  /**
   * The backend did not log the user in, or said something unexpected. `line` is what it said
   * (for the log, and for the client only when the operator passes backend errors on, as
   * nginx's proxy_pass_error_message does, §3.1).
   */
  | { kind: 'refused'; line: string; detail: string };

export interface BackendDialogue {
  onLine(line: Buffer): BackendStep;
}

export const CRLF = '\r\n';

export function refused(line: Buffer | string, detail: string): BackendStep {
  return { kind: 'refused', line: typeof line === 'string' ? line : line.toString('latin1'), detail };
}

export { hasLineBreak } from '../../authhttp/bytes.js';

/** Whether a reply line starts with `prefix`, ignoring ASCII case (servers vary: `+OK`/`+ok`). */
export function startsWithWord(line: Buffer, prefix: string): boolean {
  return line.length >= prefix.length && line.toString('latin1', 0, prefix.length).toUpperCase() === prefix.toUpperCase();
}
