/**
 * The dashboard's chart: logins per hour as stacked bars (successful, failed, temporary
 * failures), drawn on the server as inline SVG, so no script or chart library is involved and
 * it prints. For screen readers the SVG is one image with a title and a summary, and the
 * numbers are in a table under a <details> beside it; each bar also has a <title> tooltip.
 */
import type { HourBucket } from '../../history/index.js';
import { html, type Html } from '../html.js';

const W = 760;
const H = 230;
const PAD = { left: 46, right: 10, top: 14, bottom: 30 };
const SERIES = [
  ['ok', 'Successful'],
  ['fail', 'Failed'],
  ['tempfail', 'Temporary failure'],
] as const;

/** `09:00` for an hour's ISO start. */
export const hourLabel = (iso: string): string => iso.slice(11, 16);

/** A round number at or above `max` whose quarters are round too (for 4 grid lines). */
export function niceCeiling(max: number): number {
  if (max <= 4) return 4;
  const step = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(step));
  const nice = [1, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * magnitude).find((s) => s >= step) ?? 10 * magnitude;
  return Math.ceil(nice) * 4;
}

export const formatCount = (n: number): string => n.toLocaleString('en-US');

/** The sentence screen readers hear for the chart. */
export function chartSummary(hours: readonly HourBucket[]): string {
  const ok = hours.reduce((n, h) => n + h.ok, 0);
  const fail = hours.reduce((n, h) => n + h.fail, 0);
  const temp = hours.reduce((n, h) => n + h.tempfail, 0);
  if (ok + fail + temp === 0) return `No logins in the last ${hours.length} hours.`;
  const total = (h: HourBucket) => h.ok + h.fail + h.tempfail;
  const busiest = hours.reduce((a, b) => (total(b) > total(a) ? b : a));
  const worst = hours.reduce((a, b) => (b.fail > a.fail ? b : a));
  return (
    `${formatCount(ok)} successful logins, ${formatCount(fail)} failed and ${formatCount(temp)} temporary failures in the last ${hours.length} hours. ` +
    `Busiest hour: ${hourLabel(busiest.hour)} UTC with ${formatCount(total(busiest))}.` +
    (worst.fail > 0 ? ` Most failures: ${hourLabel(worst.hour)} UTC with ${formatCount(worst.fail)}.` : '')
  );
}

export function hourlyChart(hours: readonly HourBucket[]): Html {
  const top = niceCeiling(Math.max(0, ...hours.map((h) => h.ok + h.fail + h.tempfail)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, hours.length);
  const barW = Math.max(2, slot * 0.68);
  const y = (v: number): number => PAD.top + plotH - (v / top) * plotH;
  const r = (n: number): string => n.toFixed(1);

  const grid = [0, 1, 2, 3, 4].map((i) => {
    const v = (top / 4) * i;
    return html`<g class="grid"><line x1="${PAD.left}" x2="${W - PAD.right}" y1="${r(y(v))}" y2="${r(y(v))}"/><text x="${PAD.left - 8}" y="${r(y(v) + 4)}" text-anchor="end">${formatCount(v)}</text></g>`;
  });
  const bars = hours.map((h, i) => {
    const x = PAD.left + i * slot + (slot - barW) / 2;
    let base = 0;
    const rects = SERIES.map(([key]) => {
      const v = h[key];
      if (v === 0) return '';
      const rect = html`<rect class="s-${key}" x="${r(x)}" y="${r(y(base + v))}" width="${r(barW)}" height="${r(y(base) - y(base + v))}"/>`;
      base += v;
      return rect;
    });
    const tip = `${hourLabel(h.hour)} UTC: ${formatCount(h.ok)} successful, ${formatCount(h.fail)} failed, ${formatCount(h.tempfail)} temporary failures`;
    const label = i % 3 === 0 || i === hours.length - 1 ? html`<text class="x" x="${r(x + barW / 2)}" y="${H - PAD.bottom + 18}" text-anchor="middle">${hourLabel(h.hour)}</text>` : '';
    return html`<g class="bar"><title>${tip}</title><rect class="hit" x="${r(PAD.left + i * slot)}" y="${PAD.top}" width="${r(slot)}" height="${plotH}"/>${rects}${label}</g>`;
  });
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-title chart-desc" preserveAspectRatio="xMidYMid meet">
<title id="chart-title">Logins per hour, last ${hours.length} hours (UTC)</title>
<desc id="chart-desc">${chartSummary(hours)}</desc>
${grid}${bars}
<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${r(y(0))}" y2="${r(y(0))}"/>
</svg>`;
}

export function chartLegend(totals: { ok: number; fail: number; tempfail: number }): Html {
  return html`<ul class="legend">${SERIES.map(([key, label]) => html`<li><span class="swatch s-${key}" aria-hidden="true"></span>${label} <strong>${formatCount(totals[key])}</strong></li>`)}</ul>`;
}

/** The chart's numbers, for anyone who cannot see it or wants them exact. */
export function chartTable(hours: readonly HourBucket[]): Html {
  return html`<details class="chart-data"><summary>The numbers per hour</summary>
<div class="table-wrap"><table class="data compact"><caption class="visually-hidden">Logins per hour (UTC)</caption>
<thead><tr><th scope="col">Hour (UTC)</th><th scope="col">Successful</th><th scope="col">Failed</th><th scope="col">Temporary failures</th></tr></thead>
<tbody>${hours.map((h) => html`<tr><th scope="row">${h.hour.slice(0, 10)} ${hourLabel(h.hour)}</th><td>${formatCount(h.ok)}</td><td>${formatCount(h.fail)}</td><td>${formatCount(h.tempfail)}</td></tr>`)}</tbody>
</table></div></details>`;
}
