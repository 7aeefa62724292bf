/** Plain-text output helpers shared by the CLI's commands. */

/** Aligned plain-text columns; the last column is not padded. */
export function formatTable(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h) => h.length);
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** A cell for "nothing": `-`. */
export const dash = (v: string | number | null | undefined): string => (v === null || v === undefined || v === '' ? '-' : String(v));
