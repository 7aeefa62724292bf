import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { certificateFacts, pem, serialText } from './facts.js';
import { CA_CERT_FACTS, CA_CERT_PEM, CLIENT_CERT_FACTS, CLIENT_CERT_PEM } from './testdata/client-cert.js';
import { SERIALS } from './testdata/openssl-names.js';

const der = (p: string): Buffer => new X509Certificate(p).raw;

test('no certificate: Auth-SSL-Verify NONE and nothing else', () => {
  assert.deepEqual(certificateFacts(undefined, true), { verify: 'NONE' });
});

test('a verified certificate: SUCCESS, names, serial and fingerprint as the openssl command line prints them', () => {
  assert.deepEqual(certificateFacts({ der: der(CLIENT_CERT_PEM), verify: { ok: true } }, false), { verify: 'SUCCESS', ...CLIENT_CERT_FACTS });
  assert.deepEqual(certificateFacts({ der: der(CA_CERT_PEM), verify: { ok: true } }, false), { verify: 'SUCCESS', ...CA_CERT_FACTS });
});

test('a failed one: FAILED and OpenSSL\'s words; the PEM only with auth_http_pass_client_cert', () => {
  const facts = certificateFacts({ der: der(CLIENT_CERT_PEM), verify: { ok: false, code: 'DEPTH_ZERO_SELF_SIGNED_CERT', reason: 'self-signed certificate' } }, true);
  assert.equal(facts?.verify, 'FAILED:self-signed certificate');
  assert.equal(facts?.cert, CLIENT_CERT_PEM);
});

test('PEM as PEM_write_bio_X509 writes it: 64-character lines and a final newline', () => {
  assert.equal(pem(der(CA_CERT_PEM)), CA_CERT_PEM);
  assert.equal(pem(der(CLIENT_CERT_PEM)), new X509Certificate(CLIENT_CERT_PEM).toString());
});

test('a certificate whose structure does not parse gives undefined (the auth request then fails)', () => {
  assert.equal(certificateFacts({ der: Buffer.from('3003020101', 'hex'), verify: { ok: true } }, false), undefined);
});

// Each serial number was printed by OpenSSL 3.0's `x509 -serial` (i2a_ASN1_INTEGER, as nginx).
for (const { label, content, text } of SERIALS) {
  test(`a serial number as OpenSSL prints it: ${label}`, () => {
    assert.equal(serialText(Buffer.from(content, 'hex')), text);
  });
}
