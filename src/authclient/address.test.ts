/** Tests for address.ts: Auth-Server literals exactly as ngx_parse_addr accepts them (§2.2). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { parseNginxAddr, type IpLiteral } from './address.js';

const parse = (s: string): IpLiteral | undefined => parseNginxAddr(Buffer.from(s, 'latin1'));

test('§2.2 verified: dotted IPv4 and bracketless IPv6 work; [::1] and localhost do not', () => {
  assert.deepEqual(parse('127.0.0.1'), { family: 4, address: '127.0.0.1' });
  assert.deepEqual(parse('::1'), { family: 6, address: '::1' });
  assert.equal(parse('[::1]'), undefined);
  assert.equal(parse('localhost'), undefined);
});

test('ngx_inet_addr leniencies: leading zeros and empty octets', () => {
  assert.deepEqual(parse('010.002.0003.4'), { family: 4, address: '10.2.3.4' });
  assert.deepEqual(parse('1..2.3'), { family: 4, address: '1.0.2.3' });
  assert.deepEqual(parse('...'), { family: 4, address: '0.0.0.0' });
});

test('ngx_inet_addr refusals: the broadcast address is INADDR_NONE, and exactly three dots', () => {
  assert.equal(parse('255.255.255.255'), undefined);
  assert.deepEqual(parse('255.255.255.254'), { family: 4, address: '255.255.255.254' });
  for (const bad of ['', '1.2.3', '1.2.3.4.', '1.2.3.256', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.-4', '0x1.2.3.4', '1.2.3.4%eth0']) {
    assert.equal(parse(bad), undefined, JSON.stringify(bad));
  }
});

test('ngx_inet6_addr: compression, IPv4 tails, case, and one skipped leading colon', () => {
  assert.deepEqual(parse('2001:DB8:0:0:0:0:0:1'), { family: 6, address: '2001:db8::1' });
  assert.deepEqual(parse('::'), { family: 6, address: '::' });
  assert.deepEqual(parse('1::'), { family: 6, address: '1::' });
  assert.deepEqual(parse('::ffff:1.2.3.4'), { family: 6, address: '::ffff:102:304' });
  assert.deepEqual(parse('1:2:3:4:5:6:1.2.3.4'), { family: 6, address: '1:2:3:4:5:6:102:304' });
  // A lone leading colon is skipped before parsing, so this reads as 1:2:...:8.
  assert.deepEqual(parse(':1:2:3:4:5:6:7:8'), { family: 6, address: '1:2:3:4:5:6:7:8' });
  assert.deepEqual(parse('0:0:1:0:0:0:1:0'), { family: 6, address: '0:0:1::1:0' });
  // "::" for one group is fine at the start or in the middle.
  assert.deepEqual(parse('1::3:4:5:6:7:8'), { family: 6, address: '1:0:3:4:5:6:7:8' });
  assert.deepEqual(parse('::1:2:3:4:5:6:7'), { family: 6, address: '0:1:2:3:4:5:6:7' });
});

test('ngx_inet6_addr refusals', () => {
  for (const bad of [
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4::5:6:7:8',
    '1::2::3',
    '12345::',
    '1:',
    ':::',
    'g::1',
    '::1%lo',
    '1:2:3:4:5:6:7:1.2.3.4',
    '::1.2.3',
    '::a.1.2.3',
    '1.2.3.4::',
    // A trailing "::" standing for one group: valid for RFC 4291 and Node, not for nginx,
    // whose final write spends a group on it.
    '0:0:0:0:0:0:0::',
    '1:2:3:4:5:6:7::',
  ]) {
    assert.equal(parse(bad), undefined, bad);
  }
});

/** Groups written out in an IPv6 text, an IPv4 tail counting as two. */
function explicitGroups(ip: string): number {
  const count = (part: string): number => (part === '' ? 0 : part.split(':').reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0));
  const [left = '', right = ''] = ip.split('::');
  return count(left) + count(right);
}

test('property: nginx accepts what Node accepts (except a trailing "::" for one group) and means the same address', () => {
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
      const got = parse(ip);
      if (isIP(ip) === 4) {
        assert.deepEqual(got, ip === '255.255.255.255' ? undefined : { family: 4, address: ip });
        return;
      }
      if (ip.endsWith('::') && explicitGroups(ip) === 7) {
        // nginx refuses a trailing "::" standing for a single group (see the refusals above).
        assert.equal(got, undefined, ip);
        return;
      }
      assert.ok(got, ip);
      assert.equal(got.family, 6);
      // Same 128 bits: Node normalises both through URL's host parser.
      assert.equal(new URL(`http://[${got.address}]/`).hostname, new URL(`http://[${ip}]/`).hostname);
    }),
  );
});
