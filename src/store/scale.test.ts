/**
 * Scale check: 200k mailboxes imported in one call, then the auth-path lookups. Asserts
 * only that it completes (machines differ); prints the timings for the benchmark notes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NewMailbox } from '../directory/types.js';
import { openTempDirectory, type TempDirectory } from './test-support.js';

const COUNT = 200_000;
const LOOKUPS = 5_000;

describe('scale', () => {
  let t: TempDirectory;
  before(async () => {
    t = await openTempDirectory();
  });
  after(async () => t.cleanup());

  it(`imports ${COUNT} mailboxes and still resolves logins and routes quickly`, async () => {
    await t.dir.addDomain('example.com');
    await t.dir.addDomain('big.example');
    await t.dir.addDomainAlias('alias.example', 'big.example');
    await t.dir.addBackend({ name: 'b1', host: '192.0.2.1', ports: { imap: 143 } });
    await t.dir.addBackend({ name: 'b2', host: '192.0.2.2', ports: { imap: 143 } });
    await t.dir.setRoute('default', null, 'b1');
    await t.dir.setRoute('domain', 'big.example', 'b2');

    const rows: NewMailbox[] = [];
    for (let i = 0; i < COUNT; i++) {
      rows.push({ address: `user${i}@${i % 2 ? 'big.example' : 'example.com'}`, passwordHash: `{SSHA512}hash${i}`, networks: i % 10 ? [] : ['10.0.0.0/8'] });
    }
    let started = performance.now();
    const result = await t.dir.importMailboxes(rows);
    const importMs = performance.now() - started;
    assert.equal(result.added, COUNT);
    assert.deepEqual(result.existing, []);

    started = performance.now();
    for (let n = 0; n < LOOKUPS; n++) {
      const i = (n * 7919) % COUNT;
      const domain = i % 2 ? 'alias.example' : 'example.com';
      const login = await t.dir.findLogin(`user${i}@${domain}`);
      assert.ok(login, `user${i}`);
      const backend = await t.dir.routeFor(login.mailbox);
      assert.equal(backend?.name, i % 2 ? 'b2' : 'b1');
    }
    const lookupMs = performance.now() - started;
    assert.equal(await t.dir.findLogin('nobody@example.com'), null);
    console.log(
      `scale: imported ${COUNT} mailboxes in ${importMs.toFixed(0)} ms; ` +
        `${LOOKUPS} findLogin+routeFor in ${lookupMs.toFixed(0)} ms (${((lookupMs / LOOKUPS) * 1000).toFixed(0)} µs each)`,
    );
  });
});
