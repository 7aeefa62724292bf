import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterForward, afterReverse, lookupFailure, TEMPUNAVAIL, UNAVAILABLE, validHostName, type Lookup } from './rules.js';

const records = (...r: string[]): Lookup => ({ kind: 'records', records: r });
const none: Lookup = { kind: 'records', records: [] };
const nxdomain: Lookup = { kind: 'nxdomain' };
const servfail: Lookup = { kind: 'failed', code: 'ESERVFAIL' };

test('Node\'s DNS errors: no records is an empty answer, ENOTFOUND is NXDOMAIN, the rest failures', () => {
  assert.deepEqual(lookupFailure('ENODATA'), none);
  assert.deepEqual(lookupFailure('ENOTFOUND'), nxdomain);
  for (const code of ['ESERVFAIL', 'ETIMEOUT', 'ECONNREFUSED', 'EREFUSED', 'EFORMERR', 'EBADRESP']) assert.deepEqual(lookupFailure(code), { kind: 'failed', code });
});

test('the PTR step: a valid first name is looked up forward; NXDOMAIN or no PTR is [UNAVAILABLE]; failures [TEMPUNAVAIL]', () => {
  assert.deepEqual(afterReverse(records('mail.example.org', 'other.example.org')), { kind: 'forward', name: 'mail.example.org' });
  assert.deepEqual(afterReverse(nxdomain), { kind: 'done', host: UNAVAILABLE });
  assert.deepEqual(afterReverse(none), { kind: 'done', host: UNAVAILABLE });
  assert.deepEqual(afterReverse(servfail), { kind: 'done', host: TEMPUNAVAIL });
  assert.deepEqual(afterReverse({ kind: 'failed', code: 'ETIMEOUT' }), { kind: 'done', host: TEMPUNAVAIL });
});

test('a PTR name outside RFC 1034\'s letters, digits, "-" and "." is [TEMPUNAVAIL] (CVE-2026-28753)', () => {
  for (const bad of ['', 'a b.example', 'evil\r\nAuth-Status: OK', 'under_score.example', 'x\\032y.example', 'caf\u00e9.example', '*.example']) {
    assert.equal(validHostName(bad), false, JSON.stringify(bad));
    assert.deepEqual(afterReverse(records(bad)), { kind: 'done', host: TEMPUNAVAIL }, JSON.stringify(bad));
  }
  assert.equal(validHostName('Mail-1.Example.ORG.'), true);
});

test('the forward step: the name when an A or AAAA record is the client\'s address, else [UNAVAILABLE]', () => {
  assert.equal(afterForward('h.example', '192.0.2.7', records('192.0.2.9', '192.0.2.7'), none), 'h.example');
  assert.equal(afterForward('h.example', '2001:db8::7', none, records('2001:0db8:0:0::7')), 'h.example', 'IPv6 compared as addresses, not text');
  assert.equal(afterForward('h.example', '192.0.2.7', records('192.0.2.8'), records('2001:db8::7')), UNAVAILABLE);
  assert.equal(afterForward('h.example', '192.0.2.7', none, records('::ffff:192.0.2.7')), UNAVAILABLE, 'an IPv4-mapped address is another family');
  assert.equal(afterForward('h.example', '192.0.2.7', none, none), UNAVAILABLE, 'no addresses at all');
});

test('the forward step: NXDOMAIN is [UNAVAILABLE], a failure of either query [TEMPUNAVAIL] even beside a match', () => {
  assert.equal(afterForward('h.example', '192.0.2.7', nxdomain, nxdomain), UNAVAILABLE);
  assert.equal(afterForward('h.example', '192.0.2.7', records('192.0.2.7'), servfail), TEMPUNAVAIL);
  assert.equal(afterForward('h.example', '192.0.2.7', servfail, nxdomain), TEMPUNAVAIL);
});
