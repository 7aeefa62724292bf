/**
 * Request headers as the peer sent them: every line kept, in order, so that repeated headers
 * (two `X-Forwarded-For` lines, say) are neither merged nor lost before the forwarding walk
 * decides what they mean.
 */

/** `[name, value]` pairs in arrival order; names in any case. */
export type HeaderList = readonly (readonly [name: string, value: string])[];

/** Node's `req.rawHeaders` (a flat `[name, value, name, value, ...]` list) as pairs. */
export function headerPairs(rawHeaders: readonly string[]): HeaderList {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i] as string, rawHeaders[i + 1] as string]);
  return pairs;
}

/** Every value of the header `name` (case-insensitive), one per line, in arrival order. */
export function headerValues(headers: HeaderList, name: string): string[] {
  const wanted = name.toLowerCase();
  const out: string[] = [];
  for (const [n, v] of headers) if (n.toLowerCase() === wanted) out.push(v);
  return out;
}

/**
 * The items of a comma-separated list header over all its lines (RFC 9110 §5.3: repeated lines
 * equal one line joined with commas), trimmed, with empty items dropped (§5.6.1 lets a recipient
 * ignore them). Only for headers whose items cannot contain a comma.
 */
export function listItems(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of values) {
    for (const item of line.split(',')) {
      const t = item.trim();
      if (t !== '') out.push(t);
    }
  }
  return out;
}

/** Peer text shown back in diagnostics: printable ASCII only, at most 100 characters. */
export function shown(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 100 ? `${clean.slice(0, 97)}...` : clean;
}
