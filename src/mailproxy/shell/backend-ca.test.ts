import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mailProxySchema } from '../../config/mail-proxy.js';
import { backendCaSource, SYSTEM_CA_BUNDLES } from './backend-ca.js';

const none = (): boolean => false;

test('backend_tls_ca_file defaults to "system"', () => {
  const mp = mailProxySchema.parse({ listeners: [{ protocol: 'imap', port: 0, backend_tls: 'implicit' }] });
  assert.equal(mp.listeners[0]!.backend_tls_ca_file, 'system');
});

test('"system" is the first bundle that exists, in the distributions\' order', () => {
  assert.deepEqual(backendCaSource('system', {}, (p) => p === '/etc/ssl/certs/ca-certificates.crt'), { kind: 'file', path: '/etc/ssl/certs/ca-certificates.crt' });
  assert.deepEqual(backendCaSource('system', {}, (p) => p === '/etc/pki/tls/certs/ca-bundle.crt'), { kind: 'file', path: '/etc/pki/tls/certs/ca-bundle.crt' });
  assert.deepEqual(backendCaSource('system', {}, () => true), { kind: 'file', path: SYSTEM_CA_BUNDLES[0] });
});

test('"system" follows SSL_CERT_FILE, as OpenSSL does', () => {
  assert.deepEqual(backendCaSource('system', { SSL_CERT_FILE: '/opt/ca.pem' }, () => true), { kind: 'file', path: '/opt/ca.pem' });
});

test('"system" without any bundle says where it looked', () => {
  assert.deepEqual(backendCaSource('system', {}, none), { kind: 'missing', tried: [...SYSTEM_CA_BUNDLES] });
});

test('"bundled" means Node\'s own roots, and anything else is a file', () => {
  assert.deepEqual(backendCaSource('bundled', { SSL_CERT_FILE: '/x' }, () => true), { kind: 'bundled' });
  assert.deepEqual(backendCaSource('/etc/postern/backend-ca.pem', {}, none), { kind: 'file', path: '/etc/postern/backend-ca.pem' });
});
