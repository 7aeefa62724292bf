/**
 * The fence that keeps the history worker's commits from dropping the lookup memory, with
 * data_version and the clock moved by hand: a change read while no job is out moves the
 * version at once; one read while the worker may be writing waits for the worker's probe,
 * which clears it or moves the version; only a probe posted after the change can clear it; an
 * unanswered change moves the version after the bound; a lost worker moves it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkerCommitFence } from './history-fence.js';

function setup() {
  const db = { dv: 1, t: 0 };
  const fence = new WorkerCommitFence(() => String(db.dv), { now: () => db.t, maxAmbiguousMs: 100 });
  const v0 = fence.version();
  return { db, fence, v0 };
}

describe('worker commit fence', () => {
  it('a change while the worker has nothing to write is somebody else\'s: the version moves at once', () => {
    const { db, fence, v0 } = setup();
    assert.equal(fence.version(), v0, 'nothing changed');
    db.dv++;
    const v1 = fence.version();
    assert.notEqual(v1, v0);
    assert.equal(fence.version(), v1, 'moves once per change');
  });

  it('the worker\'s own commit, seen during the job or when its answer comes, leaves the version alone once the probe says nobody else wrote', () => {
    const { db, fence, v0 } = setup();
    fence.jobPosted();
    db.dv++; // the worker commits a slice
    assert.equal(fence.version(), v0, 'ambiguous: waits for the worker');
    db.dv++; // and another, seen only when the answer is handled
    const probe = fence.jobAnswered();
    assert.equal(fence.version(), v0);
    fence.probeAnswered(probe, false);
    db.t += 1000;
    assert.equal(fence.version(), v0, 'cleared: no reload, even long after');
    db.dv++; // the worker is idle now: this one is somebody else's
    assert.notEqual(fence.version(), v0);
  });

  it('a change read after a job was posted and before its answer waits for the worker', () => {
    const { db, fence, v0 } = setup();
    fence.jobPosted();
    db.dv++;
    assert.equal(fence.version(), v0);
  });

  it('once the answer is handled (data_version read then), a later change is somebody else\'s even before the probe answers', () => {
    const { db, fence, v0 } = setup();
    fence.jobPosted();
    db.dv++; // the worker's commit
    const probe = fence.jobAnswered(); // reads it: ambiguous, pending on the probe
    db.dv++; // the worker is idle now
    const v1 = fence.version();
    assert.notEqual(v1, v0);
    fence.probeAnswered(probe, false);
    assert.equal(fence.version(), v1);
  });

  it('when the probe says somebody else committed, the version moves', () => {
    const { db, fence, v0 } = setup();
    fence.jobPosted();
    db.dv++; // the worker's commit and, say, the CLI's: one step of data_version
    assert.equal(fence.version(), v0);
    const probe = fence.jobAnswered();
    fence.probeAnswered(probe, true);
    assert.notEqual(fence.version(), v0);
  });

  it('a probe posted before an ambiguous change does not clear it; the next one does', () => {
    const { db, fence, v0 } = setup();
    fence.jobPosted();
    fence.jobPosted();
    const first = fence.jobAnswered(); // probe 0 posted; one job still out
    db.dv++;
    assert.equal(fence.version(), v0, 'ambiguous (a job is out)');
    fence.probeAnswered(first, false); // read before that change: says nothing about it
    db.t += 150;
    assert.notEqual(fence.version(), v0, 'still pending after the bound: the version moves');
  });

  it('the probe after the change clears it within the bound', () => {
    const { db, fence, v0 } = setup();
    fence.jobPosted();
    fence.jobPosted();
    const first = fence.jobAnswered();
    db.dv++;
    assert.equal(fence.version(), v0);
    fence.probeAnswered(first, false);
    const second = fence.jobAnswered();
    fence.probeAnswered(second, false);
    db.t += 150;
    assert.equal(fence.version(), v0);
  });

  it('an ambiguous change left unanswered moves the version after the bound', () => {
    const { db, fence, v0 } = setup();
    fence.jobPosted();
    db.dv++;
    assert.equal(fence.version(), v0);
    db.t += 100;
    assert.equal(fence.version(), v0, 'within the bound');
    db.t += 1;
    assert.notEqual(fence.version(), v0, 'beyond it');
  });

  it('a worker lost with a job out moves the version, and later changes count again', () => {
    const { db, fence, v0 } = setup();
    fence.jobPosted();
    db.dv++;
    assert.equal(fence.version(), v0);
    fence.lost();
    const v1 = fence.version();
    assert.notEqual(v1, v0);
    db.dv++;
    assert.notEqual(fence.version(), v1, 'no job out: at once');
  });

  it('a main connection that cannot be read when an answer comes counts as a change', () => {
    let broken = false;
    const fence = new WorkerCommitFence(() => {
      if (broken) throw new Error('The database connection is not open');
      return '1';
    });
    const v0 = fence.version();
    fence.jobPosted();
    broken = true;
    fence.jobAnswered();
    broken = false;
    assert.notEqual(fence.version(), v0);
  });
});
