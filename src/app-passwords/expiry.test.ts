/** Expiries as people type them on the command line and in the console. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExpiry } from './expiry.js';

const NOW = new Date('2030-06-01T12:00:00.000Z');
const ok = (text: string | undefined) => {
  const r = parseExpiry(text, NOW);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.expiresAt;
};
const refused = (text: string) => {
  const r = parseExpiry(text, NOW);
  assert.ok(!r.ok, `${text} should be refused`);
  return r.message;
};

describe('parseExpiry', () => {
  it('reads nothing and "never" as no expiry', () => {
    assert.equal(ok(undefined), null);
    assert.equal(ok(''), null);
    assert.equal(ok(' Never '), null);
  });

  it('reads days from now, dates at 00:00 UTC and ISO times with a zone', () => {
    assert.equal(ok('90d'), '2030-08-30T12:00:00.000Z');
    assert.equal(ok('1 day'), '2030-06-02T12:00:00.000Z');
    assert.equal(ok('2031-01-01'), '2031-01-01T00:00:00.000Z');
    assert.equal(ok('2031-01-01T08:30:00+02:00'), '2031-01-01T06:30:00.000Z');
    assert.equal(ok('2031-01-01t08:30z'), '2031-01-01T08:30:00.000Z');
  });

  it('refuses the past, impossible dates, zero or huge day counts, and anything else, saying what works', () => {
    assert.match(refused('2030-06-01'), /not in the future/);
    assert.match(refused('2031-02-30'), /not a valid date/);
    assert.match(refused('0d'), /1 to 3650 days/);
    assert.match(refused('4000d'), /1 to 3650 days/);
    assert.match(refused('next week'), /give a date such as 2027-01-01, a number of days such as 90d, or never/);
    assert.match(refused('2031-01-01T08:30'), /not an expiry/, 'a time without a zone is ambiguous');
  });
});
