/** Tests for origin-check.ts: the CSRF origin check against the public URL, whatever Host the proxy sends. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HeaderList } from './headers.js';
import { checkOrigin, type OriginCheck } from './origin-check.js';
import { parsePublicUrl, type PublicUrl } from './public-url.js';

function url(text: string): PublicUrl {
  const r = parsePublicUrl(text);
  assert.ok(r.ok);
  return r.value;
}

const GW = url('https://mail.example.com/gw-admin/');

function failure(r: OriginCheck): { code: string; detail: string; fix: string } {
  assert.equal(r.ok, false, `expected a refusal, got ${JSON.stringify(r)}`);
  return r.ok ? { code: '', detail: '', fix: '' } : r.error;
}

test('safe methods pass whatever their headers say', () => {
  for (const m of ['GET', 'head', 'OPTIONS']) assert.deepEqual(checkOrigin(GW, m, [['Origin', 'https://evil.example'], ['Sec-Fetch-Site', 'cross-site']]), { ok: true, via: 'safe-method' });
});

test('a same-origin post passes on Origin, even though the proxy rewrote Host', () => {
  const headers: HeaderList = [['Host', '127.0.0.1:8880'], ['Origin', 'https://mail.example.com'], ['Sec-Fetch-Site', 'same-origin']];
  assert.deepEqual(checkOrigin(GW, 'POST', headers), { ok: true, via: 'origin' });
  assert.deepEqual(checkOrigin(GW, 'POST', [['origin', 'HTTPS://MAIL.EXAMPLE.COM:443']]), { ok: true, via: 'origin' }, 'compared as origins');
});

test('Sec-Fetch-Site cross-site or same-site is refused before anything else', () => {
  for (const site of ['cross-site', 'Same-Site']) {
    const e = failure(checkOrigin(GW, 'POST', [['Sec-Fetch-Site', site], ['Origin', 'https://mail.example.com']]));
    assert.equal(e.code, 'cross-site-request');
    assert.match(e.fix, /https:\/\/mail\.example\.com\/gw-admin\//);
  }
});

test('another origin is refused, saying which part differs and how to fix it', () => {
  const host = failure(checkOrigin(GW, 'POST', [['Origin', 'http://10.0.0.5:8880'], ['Sec-Fetch-Site', 'same-origin']]));
  assert.equal(host.code, 'origin-mismatch');
  assert.match(host.detail, /the browser is at http:\/\/10\.0\.0\.5:8880 \(Origin\) but the public URL is https:\/\/mail\.example\.com\/gw-admin\//);
  assert.match(host.fix, /open the console at https:\/\/mail\.example\.com\/gw-admin\/.*admin\.public_url = "http:\/\/10\.0\.0\.5:8880\/gw-admin\/"/);

  const scheme = failure(checkOrigin(GW, 'POST', [['Origin', 'http://mail.example.com']]));
  assert.match(scheme.detail, /loaded over http:\/\//);
  assert.match(scheme.fix, /redirect http to https.*return 301/);

  const plainPublic = failure(checkOrigin(url('http://mail.example.com/'), 'POST', [['Origin', 'https://mail.example.com']]));
  assert.match(plainPublic.fix, /admin\.public_url = "https:\/\/mail\.example\.com\/"/);

  assert.equal(failure(checkOrigin(GW, 'POST', [['Origin', 'not a url']])).code, 'origin-mismatch');
  assert.equal(failure(checkOrigin(GW, 'POST', [['Origin', 'https://mail.example.com'], ['Origin', 'https://mail.example.com']])).code, 'origin-mismatch');
});

test('Origin: null is refused with its own code', () => {
  const e = failure(checkOrigin(GW, 'POST', [['Origin', 'null']]));
  assert.equal(e.code, 'origin-null');
  assert.match(e.detail, /sandboxed frame/);
});

test('without Origin: Sec-Fetch-Site, then Referer, then nothing (not a browser)', () => {
  assert.deepEqual(checkOrigin(GW, 'POST', [['Sec-Fetch-Site', 'same-origin']]), { ok: true, via: 'sec-fetch-site' });
  assert.deepEqual(checkOrigin(GW, 'POST', [['Sec-Fetch-Site', 'none']]), { ok: true, via: 'sec-fetch-site' });
  assert.deepEqual(checkOrigin(GW, 'POST', [['Referer', 'https://mail.example.com/gw-admin/login?x=1']]), { ok: true, via: 'referer' });
  assert.equal(failure(checkOrigin(GW, 'POST', [['Referer', 'https://evil.example/gw-admin/']])).code, 'referer-mismatch');
  assert.equal(failure(checkOrigin(GW, 'POST', [['Referer', 'https://mail.example.com/'], ['Referer', 'https://evil.example/']])).code, 'referer-mismatch');
  assert.deepEqual(checkOrigin(GW, 'DELETE', []), { ok: true, via: 'no-browser-headers' });
});
