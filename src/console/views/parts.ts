/**
 * Small pieces the management pages share: the flash that confirms a change, the error box
 * that says what went wrong and how to fix it (with the same stable code the API answers),
 * and labelled fields (a text field keeps what was typed when a form comes back with an error).
 */
import { html, type Html } from '../html.js';

export interface PageProblem {
  code: string;
  message: string;
  fix?: string;
}

export const flashBox = (text: string | undefined): Html | string => (text ? html`<p class="notice" role="status">${text}</p>` : '');

/** A page's problem, or one the page itself states: its message may be markup made with `html`. */
export const problemBox = (p: { code: string; message: string | Html; fix?: string } | undefined): Html | string =>
  p
    ? html`<div class="error" role="alert" data-code="${p.code}"><p><code class="code">${p.code}</code> ${p.message}</p>${p.fix ? html`<p class="fix"><strong>How to fix:</strong> ${p.fix}</p>` : ''}</div>`
    : '';

export function textField(f: { id: string; name: string; label: string; value?: string; placeholder?: string; hint?: string; required?: boolean; invalid?: boolean }): Html {
  const hintId = `${f.id}-hint`;
  return html`<div class="field${f.invalid ? ' invalid' : ''}"><label for="${f.id}">${f.label}</label>
<input id="${f.id}" name="${f.name}" type="text" value="${f.value ?? ''}"${f.placeholder ? html` placeholder="${f.placeholder}"` : ''}${f.required === false ? '' : html` required`} autocomplete="off" spellcheck="false" autocapitalize="none"${f.hint ? html` aria-describedby="${hintId}"` : ''}${f.invalid ? html` aria-invalid="true" autofocus` : ''}>
${f.hint ? html`<span class="muted small" id="${hintId}">${f.hint}</span>` : ''}</div>`;
}

/** A labelled choice among `options` ([value, text]), `selected` preselected. */
export function selectField(f: { id: string; name: string; label: string; options: ReadonlyArray<readonly [string, string]>; selected?: string }): Html {
  return html`<div class="field"><label for="${f.id}">${f.label}</label>
<select id="${f.id}" name="${f.name}" required>${f.options.map(([value, text]) => html`<option value="${value}"${value === f.selected ? html` selected` : ''}>${text}</option>`)}</select></div>`;
}

/** The submit button of a form, at its natural width below the fields. */
export const submitButton = (label: string, cls = 'primary'): Html => html`<div><button type="submit" class="button ${cls}">${label}</button></div>`;
