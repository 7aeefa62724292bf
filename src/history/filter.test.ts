/**
 * The history's filter parameters, as the page and the API both read them: what each becomes,
 * every problem reported with its parameter, times without a zone read as UTC, impossible
 * dates refused, and links that carry only what is set.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cursorParam, filterParams, parseCursor, parseHistoryFilter, parseTime } from './filter.js';

const parse = (q: string) => parseHistoryFilter(new URLSearchParams(q));

describe('history filters', () => {
  it('turns parameters into a store query', () => {
    const r = parse('account=Alice&match=exact&ip=192.0.2.0/24&protocol=IMAP&result=fail&since=2030-01-01T09:00&until=2030-01-02&limit=20');
    assert.ok(r.ok);
    assert.deepEqual(r.query, {
      limit: 20,
      account: { value: 'Alice', match: 'exact' },
      network: '192.0.2.0/24',
      protocol: 'imap',
      result: 'fail',
      since: '2030-01-01T09:00:00.000Z',
      until: '2030-01-02T00:00:00.000Z',
    });
    const none = parse('');
    assert.deepEqual(none.ok ? none.query : none.problems, { limit: 50 }, 'nothing set: the newest 50');
  });

  it('reports every bad parameter at once, keeping what was typed', () => {
    const r = parse('ip=999.1.1.1&protocol=nntp&result=maybe&since=2030-02-30&until=yesterday&match=fuzzy&limit=0&before=xyz&account=bob');
    assert.equal(r.ok, false);
    assert.ok(!r.ok);
    assert.deepEqual(r.problems.map((p) => p.param).sort(), ['before', 'ip', 'limit', 'match', 'protocol', 'result', 'since', 'until']);
    assert.equal(r.filter.account, 'bob');
    assert.equal(r.filter.ip, '999.1.1.1');
    const later = parse('since=2030-01-02&until=2030-01-01');
    assert.ok(!later.ok && later.problems[0]?.param === 'until' && /later than since/.test(later.problems[0].message));
  });

  it('reads times as UTC unless they name a zone, and refuses dates that do not exist', () => {
    assert.equal(parseTime('2030-01-01'), '2030-01-01T00:00:00.000Z');
    assert.equal(parseTime('2030-01-01T09:30'), '2030-01-01T09:30:00.000Z');
    assert.equal(parseTime('2030-01-01 09:30:15.5'), '2030-01-01T09:30:15.500Z');
    assert.equal(parseTime('2030-01-01T09:30+02:00'), '2030-01-01T07:30:00.000Z');
    assert.equal(parseTime('2030-02-29'), null);
    assert.equal(parseTime('2030-13-01'), null);
    assert.equal(parseTime('2030-01-01T24:00'), null);
    assert.equal(parseTime('tomorrow'), null);
  });

  it('cursors round-trip; links carry only the filters that are set', () => {
    const c = { at: '2030-01-01T09:00:00.000Z', id: 42 };
    assert.deepEqual(parseCursor(cursorParam(c)), c);
    assert.equal(parseCursor('2030-01-01T09:00:00.000Z_x'), null);
    assert.equal(filterParams({ account: 'a b', match: 'contains', ip: '', result: 'fail' }, { before: cursorParam(c) }).toString(), 'account=a+b&result=fail&before=2030-01-01T09%3A00%3A00.000Z_42');
    assert.equal(filterParams({ account: 'x@example.com', match: 'exact' }).toString(), 'account=x%40example.com&match=exact');
  });
});
