/**
 * The recipient address inside nginx's `Auth-SMTP-To`, which is the whole first RCPT command
 * line as the client typed it, e.g. `rcpt TO:<Bob@Example.org> NOTIFY=NEVER`
 * (nginx-auth-http.md §1.3, §5.16). RFC 5321 §4.1.1.3: `RCPT TO:<forward-path> [params]`,
 * where the path may carry an obsolete source route (`<@a,@b:user@host>`) and a quoted local part.
 */

export interface Recipient {
  local: string;
  /** Lower-case domain. */
  domain: string;
}

export function parseRcptLine(line: string): Recipient | null {
  const m = /^\s*rcpt\s+to\s*:\s*(.*)$/is.exec(line);
  if (!m) return null;
  const rest = m[1]!.trim();
  let path: string;
  if (rest.startsWith('<')) {
    const end = closingBracket(rest);
    if (end < 0) return null;
    path = rest.slice(1, end);
  } else {
    // Lenient clients omit the brackets; the address then ends at the first space.
    path = rest.split(/\s+/)[0] ?? '';
  }
  const sourceRoute = /^@[^:]*:/.exec(path);
  if (sourceRoute) path = path.slice(sourceRoute[0].length);
  const at = path.lastIndexOf('@');
  if (at <= 0 || at === path.length - 1) return null;
  let local = path.slice(0, at);
  const domain = path.slice(at + 1).toLowerCase();
  if (local.startsWith('"') && local.endsWith('"') && local.length >= 2) local = local.slice(1, -1).replace(/\\(.)/g, '$1');
  if (/[\s<>]/.test(domain) || /[\x00-\x1f\x7f]/.test(local + domain)) return null;
  return { local, domain };
}

/** Index of the `>` that closes the path, skipping any inside a quoted local part. */
function closingBracket(s: string): number {
  let quoted = false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === '>' && !quoted) return i;
  }
  return -1;
}
