/** The escaping `html` tag and the mount-path mapping of the request pipeline. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, html } from './html.js';
import { stripMount } from './app.js';

test('interpolated values are escaped for content and quoted attributes; only html`` fragments are inserted as markup', () => {
  const name = `<img src=x onerror="alert('1')">&amp;`;
  assert.equal(html`<td title="${name}">${name}</td>`.text, '<td title="&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;amp;">&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;amp;</td>');
  assert.equal(html`<ul>${['<a>', html`<li>ok</li>`]}</ul>`.text, '<ul>&lt;a&gt;<li>ok</li></ul>');
  assert.equal(html`${null}${undefined}${false}${0}`.text, '0');
  assert.equal(escapeHtml(`"'<>&`), '&quot;&#39;&lt;&gt;&amp;');
});

test("Postern's mount path is removed from the request target; anything outside it is refused", () => {
  assert.equal(stripMount('/', '/mailboxes?x=1'), '/mailboxes?x=1');
  assert.equal(stripMount('/admin/', '/admin/mailboxes'), '/mailboxes');
  assert.equal(stripMount('/admin/', '/admin'), '/');
  assert.equal(stripMount('/admin/', '/admin?next=/x'), '/?next=/x');
  assert.equal(stripMount('/admin/', '/administrator'), null);
  assert.equal(stripMount('/admin/', '/login'), null);
});
