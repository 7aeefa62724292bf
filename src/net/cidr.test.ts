import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inNetworks, isValidNetwork, parseNetworks } from './cidr.js';

test('matches IPv4, IPv6 and IPv4-mapped IPv6 clients against CIDR lists', () => {
  const nets = parseNetworks(['127.0.0.0/8', '::1', '2001:db8::/32', '192.0.2.7']);
  assert.ok(inNetworks('127.0.0.1', nets));
  assert.ok(inNetworks('::ffff:127.0.0.1', nets), 'Node reports IPv4 peers of dual-stack sockets this way');
  assert.ok(inNetworks('::1', nets));
  assert.ok(inNetworks('2001:db8:1::9', nets));
  assert.ok(inNetworks('192.0.2.7', nets));
  assert.ok(!inNetworks('192.0.2.8', nets));
  assert.ok(!inNetworks('10.1.1.1', nets));
  assert.ok(!inNetworks('not an ip', nets));
  assert.ok(!inNetworks('', nets));
});

test('rejects malformed networks with a message naming them', () => {
  assert.ok(!isValidNetwork('10.0.0.0/33'));
  assert.ok(!isValidNetwork('example.com'));
  assert.ok(isValidNetwork('::ffff:10.0.0.0/104'));
  assert.throws(() => parseNetworks(['10.0.0.0/8', 'nope']), /invalid network "nope"/);
});
