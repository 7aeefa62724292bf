import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subnetOf } from './subnet.js';

test('groups IPv4 by /24 and IPv6 by /48 (or the configured prefixes)', () => {
  assert.equal(subnetOf('192.0.2.77', 24, 48), '192.0.2.0/24');
  assert.equal(subnetOf('::ffff:192.0.2.77', 24, 48), '192.0.2.0/24', 'IPv4-mapped IPv6 is IPv4');
  assert.equal(subnetOf('2001:db8:1234:5678::9', 24, 48), '2001:db8:1234::/48');
  assert.equal(subnetOf('10.1.2.3', 16, 64), '10.1.0.0/16');
  assert.equal(subnetOf('10.1.2.3', 32, 128), '10.1.2.3/32');
  assert.equal(subnetOf('not-an-ip', 24, 48), undefined);
});
