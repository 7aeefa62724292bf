/**
 * The console's stylesheet and its one small script, served from memory (tsc copies no other
 * files into dist/). The script only improves what works without it: the mailbox enable/disable
 * buttons call the REST API (PATCH /api/v1/mailboxes/{address}) instead of posting the form,
 * and say the result to screen readers.
 */

export const CONSOLE_CSS = `
:root { --bg:#f5f6f8; --fg:#1c2330; --muted:#5b6472; --line:#dde1e7; --card:#fff; --accent:#1f5fbf; --accent-fg:#fff;
  --ok:#146c3a; --ok-bg:#e3f4ea; --bad:#a4262c; --bad-bg:#fbe9ea; --warn:#8a5a00; --warn-bg:#fff4d6; --focus:#ffbf47;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg); font-size:15px; line-height:1.5; }
a { color:var(--accent); }
code, .code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size:0.92em; }
.code { background:#eef1f5; padding:0 .3em; border-radius:3px; }
:focus-visible { outline:3px solid var(--focus); outline-offset:2px; }
.skip { position:absolute; left:-999px; top:0; background:var(--card); padding:.5em 1em; z-index:10; }
.skip:focus { left:1em; }
.visually-hidden { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
.top { display:flex; align-items:center; gap:2em; padding:.7em 2em; background:#18212f; color:#fff; flex-wrap:wrap; }
.brand { color:#fff; text-decoration:none; font-weight:650; font-size:1.1em; display:flex; align-items:center; gap:.5em; }
.brand .muted { color:#aab4c3; font-weight:400; }
.logo { display:inline-grid; place-items:center; width:1.8em; height:1.8em; border-radius:6px; background:var(--accent); color:#fff; }
.top nav { display:flex; gap:.3em; flex:1; }
.top nav a { color:#dfe6f0; text-decoration:none; padding:.35em .8em; border-radius:6px; }
.top nav a:hover { background:#253146; }
.top nav a[aria-current="page"] { background:#2d3b54; color:#fff; font-weight:600; }
.top nav.own { flex:0 0 auto; font-size:.92em; }
.who { display:flex; align-items:center; gap:.8em; color:#dfe6f0; }
.who form { margin:0; }
main { max-width:1100px; margin:2em auto; padding:0 2em; }
main:focus { outline:none; }
.foot { max-width:1100px; margin:3em auto 2em; padding:0 2em; color:var(--muted); font-size:.9em; }
h1 { font-size:1.6em; margin:0 0 .2em; }
h2 { font-size:1.15em; margin:1.6em 0 .6em; }
.page-head { margin-bottom:1.2em; }
.page-head p { margin:0; }
.muted { color:var(--muted); }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:2em; box-shadow:0 1px 2px rgba(0,0,0,.04); }
.narrow { max-width:30em; margin:3em auto; }
.stack { display:flex; flex-direction:column; gap:.35em; margin-top:1.2em; }
.stack button { margin-top:1em; }
label { font-weight:600; }
input[type=text], input:not([type]), input[type=password] { font:inherit; padding:.55em .7em; border:1px solid #b8c0cc; border-radius:6px; background:#fff; }
input:focus-visible { border-color:var(--accent); }
.button { font:inherit; cursor:pointer; padding:.45em 1em; border-radius:6px; border:1px solid #b8c0cc; background:#fff; color:var(--fg); }
.button:hover { background:#f0f3f7; }
.button.primary { background:var(--accent); border-color:var(--accent); color:var(--accent-fg); font-weight:600; padding:.6em 1em; }
.button.primary:hover { background:#194f9f; }
.button.danger { color:var(--bad); border-color:#e3b3b6; }
.button.danger:hover { background:var(--bad-bg); }
.button.subtle { background:transparent; color:#dfe6f0; border-color:#4a5a73; }
.button.subtle:hover { background:#253146; }
.table-wrap { overflow-x:auto; background:var(--card); border:1px solid var(--line); border-radius:10px; }
table.data { width:100%; border-collapse:collapse; }
table.data th, table.data td { text-align:left; padding:.65em 1em; border-bottom:1px solid var(--line); vertical-align:middle; }
table.data thead th { font-size:.82em; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); background:#fafbfc; }
table.data tbody tr:last-child th, table.data tbody tr:last-child td { border-bottom:0; }
table.data tbody th { font-weight:600; }
td.actions { text-align:right; white-space:nowrap; }
td.actions form { margin:0; display:inline; }
.badge { display:inline-block; padding:.1em .6em; border-radius:99px; font-size:.82em; font-weight:600; }
.badge.on { background:var(--ok-bg); color:var(--ok); }
.badge.off, .badge.error { background:var(--bad-bg); color:var(--bad); }
.badge.warning { background:var(--warn-bg); color:var(--warn); }
.badge.info { background:#e6eef9; color:var(--accent); }
.recovery-codes { columns:2; font-size:1.1em; line-height:1.9; }
.steps li { margin-bottom:1.2em; }
form.inline { display:inline; }
.qr svg { width:200px; height:200px; background:#fff; padding:8px; border:1px solid var(--line); border-radius:6px; }
.notice { background:#e6eef9; border-left:4px solid var(--accent); padding:.6em 1em; border-radius:4px; }
.error { background:var(--bad-bg); border-left:4px solid var(--bad); padding:.6em 1em; border-radius:4px; margin:1em 0; }
.error p { margin:.2em 0; }
.banner { padding:.8em 2em; }
.banner.warning { background:var(--warn-bg); color:#5c3d00; border-bottom:1px solid #f0d58c; }
.ok { color:var(--ok); font-weight:600; }
.empty { background:var(--card); border:1px dashed var(--line); border-radius:10px; padding:1.5em; color:var(--muted); }
.hint { color:var(--muted); font-size:.9em; margin-top:1.5em; }
.findings { list-style:none; padding:0; margin:0; display:flex; flex-direction:column; gap:.6em; }
.finding { background:var(--card); border:1px solid var(--line); border-left:4px solid var(--muted); border-radius:6px; padding:.5em 1em; }
.finding.error { border-left-color:var(--bad); }
.finding.warning { border-left-color:#d89b00; }
.finding.info { border-left-color:var(--accent); }
.finding p { margin:.25em 0; }
.proxy-findings h2 { font-size:1em; }
.fix { color:var(--muted); }
.grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(22em, 1fr)); gap:0 2em; }
table.kv { border-collapse:collapse; width:100%; background:var(--card); border:1px solid var(--line); border-radius:10px; overflow:hidden; margin-bottom:1em; }
table.kv th { text-align:left; width:40%; font-weight:600; padding:.5em 1em; border-bottom:1px solid var(--line); vertical-align:top; }
table.kv td { padding:.5em 1em; border-bottom:1px solid var(--line); word-break:break-word; }
`;

export const CONSOLE_JS = `'use strict';
(function () {
  var csrf = document.querySelector('meta[name="postern-csrf"]');
  var api = document.querySelector('meta[name="postern-api"]');
  var live = document.getElementById('live');
  if (!csrf || !api) return;
  function say(text) { if (live) { live.textContent = ''; live.textContent = text; } }
  document.querySelectorAll('form[data-api-patch]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var enabled = form.querySelector('input[name="enabled"]').value === '1';
      var button = form.querySelector('button');
      button.disabled = true;
      fetch(api.content + 'mailboxes/' + form.getAttribute('data-api-patch'), {
        method: 'PATCH',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf.content, 'Accept': 'application/json' },
        body: JSON.stringify({ enabled: enabled })
      }).then(function (res) {
        return res.json().then(function (body) { return { ok: res.ok, body: body }; });
      }).then(function (r) {
        button.disabled = false;
        if (!r.ok) { say((r.body.error && r.body.error.code) + ': ' + (r.body.error && r.body.error.message)); form.submit(); return; }
        var row = form.closest('tr');
        var m = r.body;
        var state = row.querySelector('[data-role="state"]');
        state.textContent = m.enabled ? 'Enabled' : 'Disabled';
        state.className = 'badge ' + (m.enabled ? 'on' : 'off');
        form.querySelector('input[name="enabled"]').value = m.enabled ? '0' : '1';
        button.textContent = m.enabled ? 'Disable' : 'Enable';
        button.className = 'button' + (m.enabled ? ' danger' : '');
        button.setAttribute('aria-label', (m.enabled ? 'Disable ' : 'Enable ') + m.address);
        say(m.address + (m.enabled ? ' enabled' : ' disabled'));
      }).catch(function () { button.disabled = false; form.submit(); });
    });
  });
})();
`;
