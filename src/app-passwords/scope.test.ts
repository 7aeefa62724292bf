/** An app password's own scope: revoked, expired, protocol, network, in that order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appPasswordState, judgeAppPassword } from './scope.js';
import type { AppPassword } from './types.js';

const NOW = new Date('2030-06-01T12:00:00Z');
const ap = (over: Partial<AppPassword> = {}): AppPassword => ({
  id: 1,
  mailboxId: 1,
  label: 'phone',
  protocols: ['imap', 'smtp'],
  networks: [],
  expiresAt: null,
  createdAt: '2030-01-01T00:00:00.000Z',
  lastUsedAt: null,
  revokedAt: null,
  ...over,
});

describe('judgeAppPassword', () => {
  it('admits its protocols from anywhere when it has no networks', () => {
    assert.equal(judgeAppPassword(ap(), 'imap', '198.51.100.7', NOW), 'ok');
    assert.equal(judgeAppPassword(ap(), 'smtp', '2001:db8::1', NOW), 'ok');
    assert.equal(judgeAppPassword(ap(), 'pop3', '198.51.100.7', NOW), 'protocol');
  });

  it('admits only clients in its networks (IPv4-mapped addresses as IPv4)', () => {
    const a = ap({ networks: ['192.0.2.0/24', '2001:db8::/32'] });
    assert.equal(judgeAppPassword(a, 'imap', '192.0.2.77', NOW), 'ok');
    assert.equal(judgeAppPassword(a, 'imap', '::ffff:192.0.2.77', NOW), 'ok');
    assert.equal(judgeAppPassword(a, 'imap', '2001:db8:5::9', NOW), 'ok');
    assert.equal(judgeAppPassword(a, 'imap', '192.0.3.1', NOW), 'network');
    assert.equal(judgeAppPassword(a, 'imap', 'not an ip', NOW), 'network');
  });

  it('refuses at and after its expiry, and once revoked, whatever else holds', () => {
    assert.equal(judgeAppPassword(ap({ expiresAt: '2030-06-01T12:00:00.001Z' }), 'imap', '192.0.2.1', NOW), 'ok');
    assert.equal(judgeAppPassword(ap({ expiresAt: '2030-06-01T12:00:00.000Z' }), 'imap', '192.0.2.1', NOW), 'expired');
    assert.equal(judgeAppPassword(ap({ expiresAt: '2030-01-01T00:00:00.000Z' }), 'pop3', '192.0.2.1', NOW), 'expired');
    assert.equal(judgeAppPassword(ap({ revokedAt: '2030-05-01T00:00:00.000Z', expiresAt: '2030-01-01T00:00:00.000Z' }), 'imap', '192.0.2.1', NOW), 'revoked');
  });

  it('states are active, expired or revoked', () => {
    assert.equal(appPasswordState(ap(), NOW), 'active');
    assert.equal(appPasswordState(ap({ expiresAt: '2030-01-01T00:00:00.000Z' }), NOW), 'expired');
    assert.equal(appPasswordState(ap({ revokedAt: '2030-05-01T00:00:00.000Z' }), NOW), 'revoked');
  });
});
