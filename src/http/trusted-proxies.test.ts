/** Tests for trusted-proxies.ts: parsing with named ranges, matching with a reason, and "trusts everything". */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_TRUSTED_PROXIES,
  matchTrusted,
  parseTrustedProxies,
  trustEverythingWarning,
  trustsEverything,
  type TrustedProxies,
} from './trusted-proxies.js';

function trusted(list: readonly string[]): TrustedProxies {
  const r = parseTrustedProxies(list);
  assert.ok(r.ok, r.ok ? '' : r.error.detail);
  return r.value;
}

test('the default trusts loopback only, IPv4-mapped loopback included', () => {
  const t = trusted(DEFAULT_TRUSTED_PROXIES);
  assert.equal(matchTrusted('127.0.0.1', t)?.label, 'loopback (127.0.0.0/8)');
  assert.equal(matchTrusted('::ffff:127.0.0.2', t)?.label, 'loopback (127.0.0.0/8)');
  assert.equal(matchTrusted('::1', t)?.label, 'loopback (::1/128)');
  assert.equal(matchTrusted('10.0.0.1', t), undefined);
  assert.equal(matchTrusted('garbage', t), undefined);
  assert.equal(matchTrusted('', t), undefined);
});

test('named ranges, CIDRs and single addresses, each matched entry named as written', () => {
  const t = trusted(['private', ' 203.0.113.7 ', '2001:db8::/32', 'LinkLocal', 'uniquelocal']);
  assert.equal(matchTrusted('172.20.1.1', t)?.label, 'private (172.16.0.0/12)');
  assert.equal(matchTrusted('fd00::1', t)?.label, 'private (fc00::/7)');
  assert.equal(matchTrusted('203.0.113.7', t)?.label, '203.0.113.7');
  assert.equal(matchTrusted('203.0.113.8', t), undefined);
  assert.equal(matchTrusted('2001:db8:ffff::1', t)?.label, '2001:db8::/32');
  assert.equal(matchTrusted('169.254.1.1', t)?.label, 'linklocal (169.254.0.0/16)');
  assert.equal(matchTrusted('fe80::1%eth0', t)?.label, 'linklocal (fe80::/10)', 'a zone id does not hide a link-local peer');
  assert.equal(matchTrusted('192.0.2.1', t), undefined);
});

test('every bad entry is named at once', () => {
  const r = parseTrustedProxies(['loopback', 'nope', '10.0.0.0/33', '*']);
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.error.code === 'invalid-network');
  assert.ok(!r.ok && /"nope", "10.0.0.0\/33", "\*"/.test(r.error.detail), !r.ok ? r.error.detail : '');
  assert.ok(!r.ok && /loopback, linklocal, private/.test(r.error.detail));
});

test('trustsEverything: /0 in either family, or networks that add up to it', () => {
  assert.equal(trustsEverything(trusted(['loopback', 'private'])), false);
  assert.equal(trustsEverything(trusted([])), false);
  assert.equal(trustsEverything(trusted(['0.0.0.0/0'])), true);
  assert.equal(trustsEverything(trusted(['::/0'])), true);
  assert.equal(trustsEverything(trusted(['::ffff:0.0.0.0/96'])), true, 'the IPv4-mapped range is all of IPv4');
  assert.equal(trustsEverything(trusted(['128.0.0.0/1', '0.0.0.0/1'])), true);
  assert.equal(trustsEverything(trusted(['0.0.0.0/2', '64.0.0.0/2', '128.0.0.0/1'])), true);
  assert.equal(trustsEverything(trusted(['0.0.0.0/2', '128.0.0.0/1'])), false, '64.0.0.0/2 is missing');
  assert.equal(trustsEverything(trusted(['0.0.0.0/1', '10.0.0.0/8'])), false);
  assert.equal(trustsEverything(trusted(['::/1', '8000::/1'])), true);
});

test('the warning names the family and says what to do', () => {
  assert.equal(trustEverythingWarning(trusted(['loopback'])), null);
  const both = trustEverythingWarning(trusted(['0.0.0.0/0', '::/0']));
  assert.match(both ?? '', /every IPv4 and every IPv6 address/);
  assert.match(trustEverythingWarning(trusted(['::/0'])) ?? '', /every IPv6 address.*list only your proxies/);
});
