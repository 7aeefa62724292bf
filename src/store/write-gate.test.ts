/**
 * The write gate between the main connection and the history worker's: the main side waits,
 * without blocking the thread, for the worker's transaction in progress; the worker waits while
 * the main side holds or wants the lock; both waits are bounded. Through the SQLite driver: writes (in a transaction or alone) wait for their turn,
 * reads never do.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Kysely } from 'kysely';
import { openDirectory } from './index.js';
import type { DB } from './schema.js';
import { openSqliteEngine } from './sqlite.js';
import { tempFolder } from './test-support.js';
import { WriteGate } from './write-gate.js';

/** Whether `p` settles within a few turns of the event loop. */
async function settles(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await turn();
  return done;
}

describe('write gate', () => {
  it('the main side waits for the worker\'s transaction, without blocking the thread', async () => {
    const gate = new WriteGate();
    const worker = gate.worker();
    const main = gate.main();
    await worker.enter();
    const entering = main.enter();
    await sleep(20); // a timer fires meanwhile: the thread is not blocked
    assert.equal(await settles(entering), false, 'still waiting');
    worker.leave();
    await entering;
    main.leave();
  });

  it('the worker does not start while the main side holds or wants the lock', async () => {
    const gate = new WriteGate();
    const worker = gate.worker();
    const main = gate.main();
    await main.enter();
    const w = worker.enter();
    assert.equal(await settles(w), false);
    main.leave();
    await w;
    worker.leave();
  });

  it('both waits are bounded: a party that never leaves only delays the other', async () => {
    const gate = new WriteGate();
    await gate.worker().enter(); // never leaves
    const t0 = performance.now();
    await gate.main(30).enter();
    assert.ok(performance.now() - t0 >= 25);
    const g2 = new WriteGate();
    await g2.main().enter(); // never leaves
    const t1 = performance.now();
    await g2.worker(30).enter();
    assert.ok(performance.now() - t1 >= 25);
  });

  it('reset frees what a dead worker held', async () => {
    const gate = new WriteGate();
    await gate.worker().enter();
    const m = gate.main().enter();
    assert.equal(await settles(m), false);
    gate.reset();
    await m;
  });
});

describe('write gate in the SQLite driver', () => {
  it('writes wait for their turn (alone or in a transaction), reads do not', async () => {
    const tmp = tempFolder();
    const file = path.join(tmp.folder, 'directory.db');
    const d = await openDirectory({ kind: 'sqlite', path: file });
    await d.close();
    const gate = new WriteGate();
    const engine = openSqliteEngine(file, { turn: gate.main() });
    const db = new Kysely<DB>({ dialect: engine.dialect });
    try {
      const worker = gate.worker();
      await worker.enter(); // the worker "is writing"
      const alone = db.insertInto('domains').values({ name: 'a.example', created_at: '2030-01-01T00:00:00.000Z' }).execute();
      assert.equal(await settles(alone), false, 'a single write waits');
      worker.leave();
      await alone;

      await worker.enter();
      const inTrx = db.transaction().execute(async (trx) => trx.insertInto('domains').values({ name: 'b.example', created_at: '2030-01-01T00:00:00.000Z' }).execute());
      assert.equal(await settles(inTrx), false, 'a transaction waits at begin');
      worker.leave();
      await inTrx;

      await worker.enter();
      const rows = await db.selectFrom('domains').select('name').orderBy('name').execute();
      assert.deepEqual(rows.map((r) => r.name), ['a.example', 'b.example'], 'a read goes through while the worker writes');
      worker.leave();

      // And the worker's side is not taken while a main transaction is open.
      let release!: () => void;
      const holding = db.transaction().execute(async (trx) => {
        await trx.selectFrom('domains').select('name').execute();
        await new Promise<void>((r) => (release = r));
      });
      await sleep(5);
      const w = worker.enter();
      assert.equal(await settles(w), false);
      release();
      await holding;
      await w;
      worker.leave();
    } finally {
      await db.destroy();
      tmp.remove();
    }
  });
});
