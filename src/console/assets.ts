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
.who { display:flex; align-items:center; gap:.8em; color:#dfe6f0; margin-left:auto; }
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
/* Navigation: a sidebar beside the page on wide screens, wrapping rows above it on narrow ones. */
.shell.with-nav { display:grid; grid-template-columns:14.5rem minmax(0, 1fr); min-height:calc(100vh - 3.6em); }
.side { background:var(--card); border-right:1px solid var(--line); }
.side-inner { position:sticky; top:0; max-height:100vh; overflow-y:auto; padding:1.3em .7em 2em; }
.side nav + nav { margin-top:1.6em; }
.nav-group { display:block; margin:0 0 .45em .85em; font-size:.74em; font-weight:650; letter-spacing:.07em; text-transform:uppercase; color:var(--muted); }
.side ul { list-style:none; margin:0; padding:0; display:flex; flex-direction:column; gap:2px; }
.side a { display:block; padding:.42em .85em; border-radius:6px; color:var(--fg); text-decoration:none; }
.side a:hover { background:#eef2f7; }
.side a[aria-current="page"] { background:#e6eef9; color:#17498f; font-weight:600; box-shadow:inset 3px 0 0 var(--accent); }
.content { min-width:0; }
@media (max-width: 880px) {
  .shell.with-nav { display:block; }
  .side { border-right:0; border-bottom:1px solid var(--line); }
  .side-inner { position:static; max-height:none; padding:.6em 1em; }
  .side nav + nav { margin-top:.3em; }
  .nav-group { display:none; }
  .side ul { flex-direction:row; flex-wrap:wrap; gap:.2em; }
  .side a { padding:.3em .7em; }
  main, .foot { padding:0 1em; }
}
/* Dashboard */
.stats { display:grid; grid-template-columns:repeat(auto-fit, minmax(12.5em, 1fr)); gap:1em; margin:0 0 1.2em; }
.stat { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:.9em 1.2em 1em; box-shadow:0 1px 2px rgba(0,0,0,.04); }
.stat dt { color:var(--muted); font-size:.8em; font-weight:650; letter-spacing:.05em; text-transform:uppercase; }
.stat dd { margin:.15em 0 0; display:flex; flex-direction:column; gap:.1em; }
.stat-value { font-size:2.1em; font-weight:700; line-height:1.15; font-variant-numeric:tabular-nums; }
.stat-note { color:var(--muted); font-size:.86em; }
.stat[data-stat="fail"] .stat-value { color:var(--bad); }
.stat[data-stat="ok"] .stat-value { color:#1d4f9c; }
.panel { padding:1.1em 1.4em 1.2em; margin-bottom:1.2em; }
.panel h2 { margin:0 0 .6em; font-size:1.08em; }
.panel-head { display:flex; justify-content:space-between; align-items:baseline; flex-wrap:wrap; gap:.3em 1.5em; }
.two-up { display:grid; grid-template-columns:repeat(auto-fit, minmax(22em, 1fr)); gap:0 1.2em; }
.legend { list-style:none; display:flex; flex-wrap:wrap; gap:.3em 1.3em; margin:0 0 .4em; padding:0; font-size:.9em; color:var(--muted); }
.legend strong { color:var(--fg); font-variant-numeric:tabular-nums; }
.swatch { display:inline-block; width:.8em; height:.8em; border-radius:2px; margin-right:.45em; vertical-align:-.05em; }
.chart { display:block; width:100%; height:auto; }
.chart .grid line { stroke:#e6e9ee; }
.chart .axis { stroke:#9aa3af; }
.chart text { font-size:11px; fill:#5b6472; font-family:inherit; font-variant-numeric:tabular-nums; }
.chart .hit { fill:transparent; }
.chart .bar:hover .hit { fill:#eef2f8; }
.s-ok { fill:#2f6fd0; background:#2f6fd0; }
.s-fail { fill:#d1453b; background:#d1453b; }
.s-tempfail { fill:#e0a526; background:#e0a526; }
.chart-data summary { cursor:pointer; color:var(--accent); margin-top:.5em; width:max-content; }
.chart-data .table-wrap { margin-top:.6em; max-height:22em; overflow-y:auto; }
table.data.compact th, table.data.compact td { padding:.45em .8em; }
.panel table.data thead th { background:transparent; }
.num { text-align:right !important; font-variant-numeric:tabular-nums; }
.empty-inline { color:var(--muted); margin:.3em 0; }
/* Login history */
.filters { padding:1.1em 1.4em 1.2em; margin-bottom:1.2em; }
.filter-grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(12.5em, 1fr)); gap:.9em 1.2em; }
.field { display:flex; flex-direction:column; gap:.25em; min-width:0; }
.field label { font-size:.9em; }
.field input, .field select { font:inherit; padding:.45em .6em; border:1px solid #b8c0cc; border-radius:6px; background:#fff; color:var(--fg); width:100%; }
.field.invalid input, .field.invalid select { border-color:var(--bad); box-shadow:0 0 0 1px var(--bad); }
.field-error { color:var(--bad); font-size:.85em; font-weight:600; }
.filter-actions { display:flex; flex-wrap:wrap; gap:.6em; margin-top:1.1em; align-items:center; }
a.button { display:inline-block; text-decoration:none; }
.pager { display:flex; gap:.6em; justify-content:flex-end; margin-top:1em; }
table.history th, table.history td { vertical-align:top; }
table.history .login { font-weight:500; min-width:13em; overflow-wrap:anywhere; }
table.history code { white-space:nowrap; }
.nowrap { white-space:nowrap; }
.small { font-size:.85em; }
a.code { text-decoration:none; }
a.code:hover { text-decoration:underline; }
.panel .login-cell { overflow-wrap:anywhere; }
.block { display:block; }
/* Mailboxes and backends: page heads with an action, breadcrumbs, the search bar, grouped checkboxes and ports */
.page-head.split { display:flex; justify-content:space-between; align-items:flex-start; gap:.8em 1.5em; flex-wrap:wrap; }
.page-head.split h1 + p { margin-top:.35em; }
.crumbs { margin:0 0 .5em; color:var(--muted); font-size:.92em; }
.toolbar { display:flex; flex-wrap:wrap; align-items:flex-end; gap:.8em 1.2em; background:var(--card); border:1px solid var(--line); border-radius:10px; padding:.9em 1.2em; margin-bottom:1.2em; }
.toolbar .field { min-width:14em; }
fieldset.choices, fieldset.ports { border:1px solid var(--line); border-radius:8px; padding:.55em 1em .8em; margin:.7em 0 .3em; }
fieldset.choices legend, fieldset.ports legend { font-weight:600; padding:0 .35em; }
fieldset.ports { display:grid; grid-template-columns:repeat(auto-fill, minmax(10em, 1fr)); gap:.6em 1em; }
label.check { display:inline-flex; align-items:center; gap:.45em; font-weight:400; margin:.25em 1.5em .25em 0; cursor:pointer; }
label.check input { width:1.05em; height:1.05em; margin:0; }
.buttons { display:flex; align-items:center; gap:1em; flex-wrap:wrap; margin-top:1em; }
.stack .buttons button { margin-top:0; }
.form-card { max-width:42em; }
.grid.cards { gap:1.2em 1.6em; align-items:start; margin-bottom:1.2em; }
.grid.cards > section > h2:first-child { margin-top:0; }
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
