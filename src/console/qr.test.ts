/**
 * The enrolment QR code: uqr's SVG of the otpauth:// URI, trusted only in the exact shape that
 * library makes, and on the real enrolment page (real keyring, real SQLite) beside the key text
 * and the link, which stay for people who cannot scan.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from 'uqr';
import { testKeyring } from '../vault/test-support.js';
import { Html } from './html.js';
import { qrSvg } from './qr.js';
import { startTestConsole } from './test-console.js';

const URI = 'otpauth://totp/Postern:root%40console.test?issuer=Postern&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30';

describe('enrolment QR code', () => {
  it('is an SVG of the URI: one square per dark module of the QR symbol, with a quiet zone', () => {
    const svg = qrSvg(URI);
    assert.ok(svg instanceof Html);
    const modules = encode(URI, { ecc: 'M', border: 4 });
    const side = modules.size * 10;
    assert.match(svg.text, new RegExp(`^<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}">`));
    const dark = modules.data.flat().filter(Boolean).length;
    assert.equal(svg.text.match(/M\d+,\d+h10v10h-10z/g)?.length, dark, 'the squares are the dark modules');
    assert.ok(modules.data[0]?.slice(0, 4).every((m) => !m), 'the border is light');
    assert.ok(!svg.text.includes('otpauth') && !svg.text.includes('JBSWY3DP'), 'the data is only in the modules, never as text');
    assert.equal(qrSvg(URI)?.text, svg.text, 'the same URI, the same code');
  });

  it('gives nothing (no markup) for data a QR code cannot hold', () => {
    assert.equal(qrSvg('x'.repeat(5000)), null);
  });

  it('the enrolment page shows the QR code with the key text and the link', async () => {
    const c = await startTestConsole({ keyring: testKeyring([['k1', 'active']]) });
    try {
      const s = await c.session();
      assert.equal((await c.post(s, '/2fa/enrol')).status, 303);
      const page = await c.http('GET', '/gw/2fa', { Cookie: s.cookie });
      assert.equal(page.status, 200);
      const qr = /<div class="qr" aria-hidden="true">(<svg [\s\S]*?<\/svg>)<\/div>/.exec(page.body)?.[1] ?? assert.fail('no QR code on the enrolment page');
      assert.match(qr, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 (\d+) \1"><rect fill="white"[^>]*\/><path fill="black" d="(M\d+,\d+h10v10h-10z)+"\/><\/svg>$/);
      assert.match(page.body, /scan the code, open the link on the phone, or type the key by hand/);
      const key = /data-role="totp-secret">([A-Z2-7 ]+)</.exec(page.body)?.[1] ?? assert.fail('the key text is gone');
      const uri = /data-role="totp-uri">([^<]+)</.exec(page.body)?.[1] ?? assert.fail('the link is gone');
      assert.ok(uri.includes(`secret=${key.replace(/ /g, '')}`));
      const expected = qrSvg(uri.replace(/&amp;/g, '&'));
      assert.equal(qr, expected?.text, 'the code is of the very URI the page links to');
    } finally {
      await c.close();
    }
  });
});
