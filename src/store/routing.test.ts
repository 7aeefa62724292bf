/** Login resolution, certificate lookup, backends and route precedence on a real SQLite file. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DirectoryError, type Mailbox } from '../directory/types.js';
import { openTempDirectory, type TempDirectory } from './test-support.js';

function rejectsWith(code: DirectoryError['code'], pattern: RegExp) {
  return (err: unknown) => err instanceof DirectoryError && err.code === code && pattern.test(err.message);
}

describe('findLogin and certificates', () => {
  let t: TempDirectory;
  beforeEach(async () => {
    t = await openTempDirectory();
    await t.dir.addDomain('example.com');
    await t.dir.addDomainAlias('example.net', 'example.com');
    await t.dir.addMailbox({ address: 'alice@example.com', passwordHash: '{PLAIN}pw' });
    await t.dir.addAlias('info@example.com', 'alice@example.com');
  });
  afterEach(async () => t.cleanup());

  it('resolves address, alias, then domain alias (to a mailbox or an alias)', async () => {
    const direct = await t.dir.findLogin('Alice@Example.com');
    assert.equal(direct?.via, 'address');
    assert.equal(direct?.mailbox.address, 'alice@example.com');
    assert.equal(direct?.mailbox.passwordHash, '{PLAIN}pw');
    const alias = await t.dir.findLogin('info@example.com');
    assert.deepEqual([alias?.via, alias?.mailbox.address], ['alias', 'alice@example.com']);
    const viaDomain = await t.dir.findLogin('alice@example.net');
    assert.deepEqual([viaDomain?.via, viaDomain?.mailbox.address], ['domain-alias', 'alice@example.com']);
    const viaDomainAlias = await t.dir.findLogin('info@example.net');
    assert.deepEqual([viaDomainAlias?.via, viaDomainAlias?.mailbox.address], ['domain-alias', 'alice@example.com']);
    assert.equal(await t.dir.findLogin('bob@example.com'), null);
    assert.equal(await t.dir.findLogin('bob@example.net'), null);
    assert.equal(await t.dir.findLogin('alice@other.org'), null);
    assert.equal(await t.dir.findLogin('alice'), null);
    assert.equal(await t.dir.findLogin('a b@example.com'), null);
  });

  it('maps certificates by subject and normalised fingerprint', async () => {
    const fp = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01';
    const m = await t.dir.addCertMapping('fingerprint', fp, 'alice@example.com');
    assert.equal(m.value, 'abcdef0123456789abcdef0123456789abcdef01');
    await t.dir.addCertMapping('subject', 'CN=Alice,O=Example', 'Alice@example.com');
    assert.equal((await t.dir.findMailboxByCert('fingerprint', m.value))?.address, 'alice@example.com');
    assert.equal((await t.dir.findMailboxByCert('fingerprint', fp))?.address, 'alice@example.com');
    assert.equal((await t.dir.findMailboxByCert('subject', 'CN=Alice,O=Example'))?.address, 'alice@example.com');
    assert.equal(await t.dir.findMailboxByCert('subject', 'CN=alice,O=Example'), null, 'DNs are case-sensitive');
    assert.equal(await t.dir.findMailboxByCert('fingerprint', 'zz'), null);
    assert.deepEqual((await t.dir.listCertMappings()).map((c) => c.match), ['fingerprint', 'subject']);
    await assert.rejects(t.dir.addCertMapping('fingerprint', fp.toLowerCase(), 'alice@example.com'), rejectsWith('exists', /already mapped/));
    await assert.rejects(t.dir.addCertMapping('fingerprint', 'abc', 'alice@example.com'), rejectsWith('invalid', /40 hex/));
    await assert.rejects(t.dir.addCertMapping('subject', 'CN=x', 'nobody@example.com'), rejectsWith('not-found', /does not exist/));
    await t.dir.removeCertMapping('fingerprint', m.value.toUpperCase());
    await assert.rejects(t.dir.removeCertMapping('fingerprint', m.value), rejectsWith('not-found', /cert list/));
  });
});

describe('backends and routes', () => {
  let t: TempDirectory;
  let alice: Mailbox;
  let bob: Mailbox;
  beforeEach(async () => {
    t = await openTempDirectory();
    await t.dir.addDomain('example.com');
    await t.dir.addDomain('other.org');
    await t.dir.addDomainAlias('example.net', 'example.com');
    alice = await t.dir.addMailbox({ address: 'alice@example.com', passwordHash: null });
    bob = await t.dir.addMailbox({ address: 'bob@other.org', passwordHash: null });
    for (const [name, host] of [['b-default', '192.0.2.1'], ['b-domain', '192.0.2.2'], ['b-mailbox', '[2001:DB8::3]'], ['legacy', 'Legacy.Example.com']] as const) {
      await t.dir.addBackend({ name, host, ports: { imap: 143, smtp: 587 } });
    }
  });
  afterEach(async () => t.cleanup());

  it('manages backends with validation', async () => {
    const b = await t.dir.getBackend('B-MAILBOX');
    assert.deepEqual(b && { host: b.host, ports: b.ports }, { host: '2001:db8::3', ports: { imap: 143, pop3: null, smtp: 587, mx: null } });
    assert.equal((await t.dir.getBackend('legacy'))?.host, 'legacy.example.com');
    assert.equal(await t.dir.getBackend('nope'), null);
    assert.deepEqual((await t.dir.listBackends()).map((x) => x.name), ['b-default', 'b-domain', 'b-mailbox', 'legacy']);
    await assert.rejects(t.dir.addBackend({ name: 'legacy', host: '192.0.2.9', ports: { imap: 143 } }), rejectsWith('exists', /already exists/));
    await assert.rejects(t.dir.addBackend({ name: 'x', host: '192.0.2.9', ports: { imap: 0 } }), rejectsWith('invalid', /IMAP port must be .* 1 to 65535/));
    await assert.rejects(t.dir.addBackend({ name: 'x', host: '192.0.2.9', ports: { pop3: 70000 } }), rejectsWith('invalid', /POP3 port/));
    await assert.rejects(t.dir.addBackend({ name: 'x', host: '192.0.2.9', ports: {} }), rejectsWith('invalid', /at least one port/));
    await assert.rejects(t.dir.addBackend({ name: 'x', host: '999.1.1.1', ports: { imap: 1 } }), rejectsWith('invalid', /IPv4/));
    await assert.rejects(t.dir.addBackend({ name: 'bad name', host: '192.0.2.9', ports: { imap: 1 } }), rejectsWith('invalid', /backend name/));

    const changed = await t.dir.changeBackend('legacy', { name: 'old-imap', host: '198.51.100.1', ports: { imap: 993, smtp: null, mx: 25 } });
    assert.deepEqual([changed.name, changed.host, changed.ports], ['old-imap', '198.51.100.1', { imap: 993, pop3: null, smtp: null, mx: 25 }]);
    await assert.rejects(t.dir.changeBackend('old-imap', { name: 'b-domain' }), rejectsWith('exists', /taken/));
    await assert.rejects(t.dir.changeBackend('old-imap', { ports: { imap: null, mx: null } }), rejectsWith('invalid', /at least one port/));
    await assert.rejects(t.dir.changeBackend('missing', { host: '192.0.2.1' }), rejectsWith('not-found', /backend add missing/));
    await t.dir.removeBackend('old-imap');
    await assert.rejects(t.dir.removeBackend('old-imap'), rejectsWith('not-found', /does not exist/));
  });

  it('routes a mailbox by mailbox > domain > default in one lookup', async () => {
    assert.equal(await t.dir.routeFor(alice), null);
    await t.dir.setRoute('default', null, 'b-default');
    assert.equal((await t.dir.routeFor(alice))?.name, 'b-default');
    await t.dir.setRoute('domain', 'Example.com', 'b-domain');
    assert.equal((await t.dir.routeFor(alice))?.name, 'b-domain');
    assert.equal((await t.dir.routeFor(bob))?.name, 'b-default');
    const r = await t.dir.setRoute('mailbox', 'ALICE@example.com', 'b-mailbox');
    assert.deepEqual([r.kind, r.subject, r.backendName], ['mailbox', 'alice@example.com', 'b-mailbox']);
    assert.equal((await t.dir.routeFor(alice))?.name, 'b-mailbox');
    assert.equal((await t.dir.routeFor(bob))?.name, 'b-default');
    await t.dir.removeRoute('mailbox', 'alice@example.com');
    assert.equal((await t.dir.routeFor(alice))?.name, 'b-domain');
    await t.dir.removeRoute('domain', 'example.com');
    await t.dir.removeRoute('default', null);
    assert.equal(await t.dir.routeFor(alice), null);
  });

  it('keeps one default and one global unknown route, replacing on set', async () => {
    await t.dir.setRoute('default', null, 'b-default');
    const again = await t.dir.setRoute('default', null, 'b-domain');
    await t.dir.setRoute('unknown', null, 'legacy');
    await t.dir.setRoute('unknown', null, 'b-default');
    const routes = await t.dir.listRoutes();
    assert.deepEqual(
      routes.map((x) => [x.kind, x.subject, x.backendName]),
      [
        ['default', null, 'b-domain'],
        ['unknown', null, 'b-default'],
      ],
    );
    assert.equal(routes[0]?.id, again.id);
    assert.equal((await t.dir.routeFor(alice))?.name, 'b-domain');
  });

  it('routes unknown users per domain (aliases resolved), else globally', async () => {
    assert.equal(await t.dir.unknownRoute('example.com'), null);
    await t.dir.setRoute('unknown', null, 'b-default');
    assert.equal((await t.dir.unknownRoute('example.com'))?.name, 'b-default');
    assert.equal((await t.dir.unknownRoute(null))?.name, 'b-default');
    await t.dir.setRoute('unknown', 'example.com', 'legacy');
    assert.equal((await t.dir.unknownRoute('EXAMPLE.com'))?.name, 'legacy');
    assert.equal((await t.dir.unknownRoute('example.net'))?.name, 'legacy');
    assert.equal((await t.dir.unknownRoute('other.org'))?.name, 'b-default');
    assert.equal((await t.dir.unknownRoute('not-served.org'))?.name, 'b-default');
    assert.equal((await t.dir.unknownRoute(null))?.name, 'b-default');
    await t.dir.removeRoute('unknown', null);
    assert.equal(await t.dir.unknownRoute('other.org'), null);
    assert.equal((await t.dir.unknownRoute('example.net'))?.name, 'legacy');
  });

  it('validates route subjects and refuses to remove a backend in use', async () => {
    await assert.rejects(t.dir.setRoute('mailbox', 'nobody@example.com', 'b-default'), rejectsWith('not-found', /does not exist/));
    await assert.rejects(t.dir.setRoute('mailbox', null, 'b-default'), rejectsWith('invalid', /needs the mailbox/));
    await assert.rejects(t.dir.setRoute('domain', 'missing.org', 'b-default'), rejectsWith('not-found', /domain add missing\.org/));
    await assert.rejects(t.dir.setRoute('domain', 'example.net', 'b-default'), rejectsWith('invalid', /alias of domain "example\.com"/));
    await assert.rejects(t.dir.setRoute('default', 'example.com', 'b-default'), rejectsWith('invalid', /no subject/));
    await assert.rejects(t.dir.setRoute('domain', 'example.com', 'nope'), rejectsWith('not-found', /backend "nope" does not exist/));
    await assert.rejects(t.dir.setRoute('bogus' as never, null, 'b-default'), rejectsWith('invalid', /route kind/));
    await assert.rejects(t.dir.removeRoute('default', null), rejectsWith('not-found', /no default route/));

    await t.dir.setRoute('mailbox', 'alice@example.com', 'legacy');
    await t.dir.setRoute('unknown', 'other.org', 'legacy');
    await assert.rejects(
      t.dir.removeBackend('legacy'),
      rejectsWith('in-use', /used by 2 routes \(mailbox alice@example\.com; unknown users of other\.org\)/),
    );
    await t.dir.removeRoute('mailbox', 'alice@example.com');
    await t.dir.removeRoute('unknown', 'other.org');
    await t.dir.removeBackend('legacy');
  });

  it('answers ping', async () => {
    await t.dir.ping();
  });
});
