/**
 * The operator's path, end to end, with the real `postern` command: `serve` on a fresh folder
 * creates its configuration; `init` prints the nginx block that a real nginx then uses; the
 * directory is filled with the CLI (including a Dovecot passwd-file import); `config check`
 * and `test-login` explain; real clients log in through nginx and Postern to Dovecot.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  doveadmHash,
  freePort,
  makeTempDir,
  removeTempDir,
  runCurl,
  runImapClient,
  runPop3Client,
  runProcess,
  startDovecot,
  startNginx,
  type DovecotHandle,
  type NginxHandle,
} from '../harness/index.js';
import { posternBin, spawnPostern, waitForLog, type PosternProcess } from '../harness/postern.js';

const dirs: string[] = [];
const env = { ...process.env, POSTERN_AUTH_FAILURE_WAIT_SECONDS: '1', POSTERN_DEFENCE_PENALTY_MAX_SECONDS: '1' };

function postern(args: string[], opts: { cwd?: string; input?: string } = {}) {
  return runProcess(process.execPath, [posternBin, ...args], { env, ...opts });
}

after(() => {
  for (const d of dirs) removeTempDir(d);
});

test('"postern serve" in an empty folder creates its configuration, answers health checks and stops cleanly', async () => {
  const dir = makeTempDir('quickstart-serve');
  dirs.push(dir);
  const port = await freePort();
  const proc = await spawnPostern(['serve'], { env: { ...env, POSTERN_LISTEN_PORT: String(port) }, cwd: dir, port });
  try {
    assert.ok(existsSync(join(dir, 'postern.toml')));
    assert.ok(existsSync(join(dir, 'postern-data', 'auth-secret')));
    assert.match(proc.output(), /No configuration at .*postern\.toml: created one/);
    assert.match(proc.output(), new RegExp(`auth_http\\s+127\\.0\\.0\\.1:${port}/auth;`), 'the nginx block is printed, with the port in effect');
    assert.ok(!proc.output().includes(readFileSync(join(dir, 'postern-data', 'auth-secret'), 'utf8').trim()), 'the secret is not printed to the log');
    const health = await runCurl(['-s', `http://127.0.0.1:${port}/healthz`]);
    assert.equal(health.stdout, 'ok\n');
    const ready = await runCurl(['-s', `http://127.0.0.1:${port}/readyz`]);
    assert.equal(ready.stdout, 'ready\n');
    await waitForLog(proc.logs, (l) => l.event === 'empty-directory');
  } finally {
    assert.equal(await proc.stop(), 0, proc.output());
  }
  assert.ok(proc.logs.some((l) => l.event === 'stopping'), 'the stop is logged (the log is flushed before exit)');
});

describe('init, the CLI and serve, used by a real nginx', () => {
  let dir: string;
  let cfg: string;
  let dovecot: DovecotHandle;
  let nginx: NginxHandle;
  let server: PosternProcess;
  let initOutput: string;

  before(async () => {
    dir = makeTempDir('quickstart');
    dirs.push(dir);
    cfg = join(dir, 'postern.toml');
    dovecot = await startDovecot({
      users: [
        { user: 'alice@example.com', password: 'Alice pw 1' },
        { user: 'bob@example.com', password: 'bob-imported' },
        { user: 'carol@example.com', password: 'carol-imported' },
      ],
    });
    dovecot.deliver('bob@example.com', 'Subject: hello bob\r\n\r\nhi\r\n');
    const port = await freePort();
    const init = await postern(['init', '-c', cfg, '--port', String(port)]);
    assert.equal(init.code, 0, init.stderr);
    initOutput = init.stdout;
  });

  after(async () => {
    await Promise.allSettled([nginx?.stop(), server?.stop(), dovecot?.stop()]);
  });

  test('init refuses to overwrite and prints the nginx block with the secret', async () => {
    const again = await postern(['init', '-c', cfg]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists; Postern never overwrites it/);
    const secret = readFileSync(join(dir, 'postern-data', 'auth-secret'), 'utf8').trim();
    assert.ok(initOutput.includes(`auth_http_header X-Postern-Secret "${secret}";`), initOutput);
  });

  test('the directory is built with the CLI, and errors say what to do', async () => {
    const steps: Array<[string[], string?]> = [
      [['domain', 'add', 'example.com']],
      [['backend', 'add', 'dovecot', '--host', '127.0.0.1', '--imap-port', String(dovecot.ports.imap), '--pop3-port', String(dovecot.ports.pop3)]],
      [['route', 'set', '--default', '--backend', 'dovecot']],
      [['mailbox', 'add', 'alice@example.com', '--password-stdin'], 'Alice pw 1\n'],
      [['alias', 'add', 'postmaster@example.com', 'alice@example.com']],
    ];
    for (const [args, input] of steps) {
      const res = await postern([...args, '-c', cfg], input !== undefined ? { input } : {});
      assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
    }
    const unknown = await postern(['mailbox', 'add', 'x@nowhere.example', '--password-stdin', '-c', cfg], { input: 'pw\n' });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /domain "nowhere\.example" does not exist/);
    const show = await postern(['mailbox', 'show', 'alice@example.com', '-c', cfg]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /ARGON2ID/);
    assert.ok(!show.stdout.includes('$argon2id$'), 'the hash itself is never shown');
  });

  test('a Dovecot passwd-file is imported with a summary of what was skipped and why', async () => {
    const file = join(dir, 'users');
    writeFileSync(
      file,
      [
        '# exported from the old Dovecot',
        `bob@example.com:${doveadmHash('bob-imported', 'SHA512-CRYPT')}:65534:65534::/home/bob::`,
        `carol:${doveadmHash('carol-imported', 'BLF-CRYPT')}:65534:65534::/home/carol::nologin`,
        `dan@example.com:{MD5}abc:1:1::/home/dan::`,
        'broken-line-without-fields',
        `erin@other.example:${doveadmHash('x', 'SSHA512')}:1:1::/::`,
        '',
      ].join('\n'),
    );
    const res = await postern(['import', 'passwd-file', file, '--default-domain', 'example.com', '-c', cfg]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /imported 2 users/);
    assert.match(res.stdout, /3 skipped:/);
    assert.match(res.stdout, /line 4 \(dan@example\.com\): unsupported-scheme: MD5/);
    assert.match(res.stdout, /line 5 \(broken-line-without-fields\): malformed/);
    assert.match(res.stdout, /line 6 \(erin@other\.example\): unknown-domain/);
    assert.match(res.stderr, /importing \[/, 'a progress bar is drawn on standard error');
    const again = await postern(['import', 'passwd-file', file, '--default-domain', 'example.com', '-c', cfg]);
    assert.match(again.stdout, /imported 0 users/);
    assert.match(again.stdout, /2 already existed and were left unchanged/);
  });

  test('config check and test-login explain the setup', async () => {
    const check = await postern(['config', 'check', '-c', cfg]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /is valid/);
    assert.match(check.stdout, /1 domains, 1 backends, 1 routes/);
    const ok = await postern(['test-login', 'postmaster@example.com', '--password-stdin', '-c', cfg], { input: 'Alice pw 1\n' });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^result: {2}ok$/m);
    assert.match(ok.stdout, /"postmaster@example\.com" is an alias of mailbox alice@example\.com/);
    assert.match(ok.stdout, new RegExp(`Auth-Port: ${dovecot.ports.imap}`));
    assert.match(ok.stdout, /Auth-User: alice@example\.com/);
    const bad = await postern(['test-login', 'alice@example.com', '--protocol', 'smtp', '--password-stdin', '-c', cfg], { input: 'nope\n' });
    assert.match(bad.stdout, /^reason: {2}bad-credentials$/m);
    assert.match(bad.stdout, /Auth-Error-Code: 535 5\.7\.8/);
    const mx = await postern(['test-login', '--method', 'none', '--protocol', 'smtp', '--rcpt', 'x@elsewhere.example', '-c', cfg]);
    assert.match(mx.stdout, /^reason: {2}mx-relay-denied$/m);
  });

  test('nginx configured from the printed block logs users in through postern serve', async () => {
    const authHttp = /auth_http\s+(\S+);/.exec(initOutput)?.[1];
    const header = /auth_http_header (\S+) "([^"]+)";/.exec(initOutput);
    assert.ok(authHttp && header, initOutput);
    const port = Number(/:(\d+)\//.exec(authHttp)![1]);
    server = await spawnPostern(['serve', '-c', cfg], { env, port });
    nginx = await startNginx({
      authHttp,
      authHttpHeaders: { [header[1]!]: header[2]! },
      listeners: [
        { protocol: 'imap', auth: ['plain', 'login'] },
        { protocol: 'pop3', auth: ['plain'] },
      ],
    });
    const alice = await runCurl(['-s', '--max-time', '10', `imap://127.0.0.1:${nginx.ports.imap}/`, '-u', 'alice@example.com:Alice pw 1']);
    assert.equal(alice.code, 0, alice.stderr);
    assert.match(alice.stdout, /INBOX/);
    const bob = await runPop3Client({ port: nginx.ports.pop3!, user: 'bob@example.com', password: 'bob-imported', retr: 1 });
    assert.ok(bob.ok, JSON.stringify(bob.transcript));
    assert.equal(bob.retr?.subject, 'hello bob');
    const carol = await runImapClient({ port: nginx.ports.imap!, user: 'carol@example.com', password: 'carol-imported' });
    assert.equal(carol.login?.tagged?.replace(/^\S+ /, ''), 'NO [CONTACTADMIN] Account disabled', 'imported with nologin: disabled');
    await waitForLog(server.logs, (l) => l.event === 'auth' && l.user === 'carol@example.com');
    assert.deepEqual(server.logs.filter((l) => l.event === 'auth').map((d) => d.reason), ['ok', 'ok', 'disabled']);
    await waitForLog(server.logs, (l) => l.event === 'password-upgraded' && l.mailbox === 'bob@example.com' && l.from === 'SHA512-CRYPT');
  });
});
