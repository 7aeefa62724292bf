import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerCertificate } from './facts.js';
import { certificateVerdict, refusalLine, VERIFY_CLIENT_MODES } from './verdict.js';

const good: PeerCertificate = { der: Buffer.alloc(1), verify: { ok: true } };
const failed = (code: string): PeerCertificate => ({ der: Buffer.alloc(1), verify: { ok: false, code, reason: 'x' } });
const OPTIONAL = ['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'];

test('off never refuses, whatever the client sent', () => {
  for (const peer of [undefined, good, failed('CERT_HAS_EXPIRED')]) assert.equal(certificateVerdict('off', peer), 'continue');
});

test('a verified certificate goes on in every mode', () => {
  for (const mode of VERIFY_CLIENT_MODES) assert.equal(certificateVerdict(mode, good), 'continue');
});

test('no certificate: `on` refuses with "No required SSL certificate", the optional modes go on (Verify NONE)', () => {
  assert.equal(certificateVerdict('on', undefined), 'no-cert');
  assert.equal(certificateVerdict('optional', undefined), 'continue');
  assert.equal(certificateVerdict('optional_no_ca', undefined), 'continue');
});

test('an unknown or self-signed CA: only optional_no_ca goes on (ngx_ssl_verify_error_optional)', () => {
  for (const code of OPTIONAL) {
    assert.equal(certificateVerdict('optional_no_ca', failed(code)), 'continue', code);
    assert.equal(certificateVerdict('optional', failed(code)), 'cert-error', code);
    assert.equal(certificateVerdict('on', failed(code)), 'cert-error', code);
  }
});

test('other verification errors (expired, bad signature, ...) are refused even by optional_no_ca', () => {
  for (const code of ['CERT_HAS_EXPIRED', 'CERT_SIGNATURE_FAILURE', 'CERT_CHAIN_TOO_LONG', 'UNSPECIFIED']) {
    assert.equal(certificateVerdict('optional_no_ca', failed(code)), 'cert-error', code);
  }
});

test('each protocol\'s lines, as nginx 1.22 writes them', () => {
  assert.equal(refusalLine('imap', 'cert-error').toString(), '* BYE SSL certificate error\r\n');
  assert.equal(refusalLine('imap', 'no-cert').toString(), '* BYE No required SSL certificate\r\n');
  assert.equal(refusalLine('pop3', 'cert-error').toString(), '-ERR SSL certificate error\r\n');
  assert.equal(refusalLine('pop3', 'no-cert').toString(), '-ERR No required SSL certificate\r\n');
  assert.equal(refusalLine('smtp', 'cert-error').toString(), '421 4.7.1 SSL certificate error\r\n');
  assert.equal(refusalLine('smtp', 'no-cert').toString(), '421 4.7.1 No required SSL certificate\r\n');
});
