/** A list of proxy findings (src/http/diagnose.ts): each with its stable code, what is wrong and how to fix it. */
import type { Finding } from '../../http/index.js';
import { html, type Html } from '../html.js';

export function findingList(findings: readonly Finding[], opts: { empty?: string } = {}): Html {
  if (findings.length === 0) return opts.empty ? html`<p class="ok">${opts.empty}</p>` : html``;
  return html`<ul class="findings">${findings.map(
    (f) => html`<li class="finding ${f.severity}" data-code="${f.code}">
  <p><span class="badge ${f.severity}">${f.severity}</span> <code class="code">${f.code}</code> ${f.message}</p>
  <p class="fix"><strong>How to fix:</strong> ${f.fix}</p>
</li>`,
  )}</ul>`;
}
