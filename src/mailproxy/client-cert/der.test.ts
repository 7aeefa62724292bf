import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { certificateParts, children, oidText, readElement } from './der.js';
import { CA_CERT_PEM, CLIENT_CERT_PEM } from './testdata/client-cert.js';
import { V1_CERT } from './testdata/openssl-names.js';

test('elements with short and long lengths; truncated, indefinite or high-tag ones are refused', () => {
  assert.deepEqual(readElement(Buffer.from('020105', 'hex'), 0)?.content, Buffer.from([5]));
  const long = Buffer.concat([Buffer.from('0481c8', 'hex'), Buffer.alloc(200, 7)]);
  assert.equal(readElement(long, 0)?.content.length, 200);
  assert.equal(readElement(Buffer.from('0205', 'hex'), 0), undefined, 'truncated');
  assert.equal(readElement(Buffer.from('30800000', 'hex'), 0), undefined, 'indefinite length');
  assert.equal(readElement(Buffer.from('1f2101', 'hex'), 0), undefined, 'high tag number');
  assert.equal(children(Buffer.from('0201050201', 'hex')), undefined, 'a trailing partial element');
});

test('object identifiers as dotted text', () => {
  assert.equal(oidText(Buffer.from('550403', 'hex')), '2.5.4.3');
  assert.equal(oidText(Buffer.from('2a864886f70d010901', 'hex')), '1.2.840.113549.1.9.1');
  assert.equal(oidText(Buffer.from('0992268993f22c640119', 'hex')), '0.9.2342.19200300.100.1.25');
  assert.equal(oidText(Buffer.from('5586', 'hex')), undefined, 'ends inside an arc');
});

test('the serial number and names of a version 3 certificate and of version 1 ones (no version field)', () => {
  for (const pem of [CA_CERT_PEM, CLIENT_CERT_PEM]) {
    const x = new X509Certificate(pem);
    const parts = certificateParts(x.raw);
    assert.ok(parts);
    assert.equal(parts.serial.toString('hex').toUpperCase().replace(/^00/, ''), x.serialNumber);
    assert.equal(parts.subject.der.toString('hex').includes(Buffer.from('Example Org').toString('hex')), true);
  }
  const v1 = certificateParts(Buffer.from(V1_CERT.der, 'base64'));
  assert.equal(v1?.serial.toString('hex').toUpperCase(), V1_CERT.serial);
  assert.equal(certificateParts(Buffer.from('3003020101', 'hex')), undefined, 'no certificate');
});
