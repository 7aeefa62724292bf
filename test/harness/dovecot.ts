// test/harness/dovecot.ts
// Starts Debian's Dovecot 2.3 (imapd + pop3d) from its own temporary folder with a
// standalone config (`dovecot -F -c DIR/dovecot.conf`; no include of /etc/dovecot), so the
// spawned process is the master. IMAP and POP3 listen on 127.0.0.1 at free ports chosen at
// run time, TLS is off unless `ssl` gives a certificate, plaintext auth is allowed (nginx speaks clear
// text on loopback), the anvil auth penalty is off, and mail is stored as maildir under
// DIR/mail/<user>, owned by nobody:nogroup. Users live in a passwd-file.
//
// Requires root (mail processes setuid to nobody; login processes chroot).
//
// Limitations of the passwd-file user list (checked at start-up, a bad name throws):
//   - a user name must not contain ':' (field separator), '/', CR, LF or NUL, must not
//     start with '#' or '.' and must not be empty; spaces and UTF-8 are fine;
//   - auth_username_format is '%u' (names are NOT lowercased, unlike Dovecot's default
//     '%Lu'), and auth_username_chars is empty (any byte allowed);
//   - a master login is `<user>*<master>`: '*' in ordinary names is therefore ambiguous.

import { spawn, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, LOOPBACK } from './ports.js';
import { makeTempDir, removeTempDir } from './tmp.js';
import { readTextOr, superviseChild, waitUntilReady } from './supervise.js';

export interface DovecotUser {
  user: string;
  /** Clear-text password; hashed with `doveadm pw -s <scheme>` (default SHA512-CRYPT). */
  password?: string;
  /** Ready-made hash including the scheme prefix, e.g. '{SHA512-CRYPT}$6$...' or '{PLAIN}x'. */
  hash?: string;
  /** Scheme for `password`; default SHA512-CRYPT. */
  scheme?: string;
}

export interface DovecotOptions {
  users: DovecotUser[];
  /** Master users (separator '*'): login `alice*admin` with admin's password opens alice. */
  masterUsers?: Array<{ user: string; password: string }>;
  /** login_greeting, so tests can tell two instances apart (default 'Dovecot ready.'). */
  loginGreeting?: string;
  /** Fixed ports; default: free ports chosen at run time. */
  imapPort?: number;
  pop3Port?: number;
  /** Only start these protocols; default ['imap', 'pop3']. */
  protocols?: Array<'imap' | 'pop3'>;
  /** auth_debug / auth_debug_passwords / mail_debug = yes. */
  debug?: boolean;
  /** auth_failure_delay (Dovecot's default is 2 secs); default '0' to keep tests fast. */
  authFailureDelay?: string;
  /**
   * TLS: STARTTLS (and STLS) on the usual listeners with this certificate and key (PEM paths),
   * plus implicit-TLS listeners (imaps, pop3s) at free ports. Default: no TLS at all.
   */
  ssl?: { cert: string; key: string };
  /**
   * OAUTHBEARER and XOAUTH2 through Dovecot's oauth2 passdb, which POSTs `token=<token>` to this
   * RFC 7662 introspection URL and logs the user in when the JSON has `"active": true` and
   * `"username"` equal to the login. The passwd-file passdb (PLAIN, LOGIN) and userdb stay.
   */
  oauth2?: { introspectionUrl: string };
  /**
   * The PROXY protocol (v1 or v2) on the imap and pop3 listeners, believed from these networks
   * (`haproxy_trusted_networks`): Dovecot then logs the header's addresses as rip/lip, and
   * refuses connections without a header.
   */
  haproxy?: { trustedNetworks: string[] };
  /** Raw lines appended to dovecot.conf. */
  extra?: string[];
  startTimeoutMs?: number;
  label?: string;
}

export interface DovecotHandle {
  dir: string;
  /** Master pid (the spawned `dovecot -F`). */
  pid: number;
  /** imaps/pop3s are 0 unless `ssl` was given. */
  ports: { imap: number; pop3: number; imaps: number; pop3s: number };
  confPath: string;
  /** Contents of DIR/dovecot.log. */
  log(): string;
  /** Maildir of a user: DIR/mail/<user>. */
  maildir(user: string): string;
  /**
   * Drop a message into the user's maildir `new/` (creating the maildir, owned by
   * nobody:nogroup). Returns the file path. Dovecot sees it on the next SELECT/STAT.
   */
  deliver(user: string, rfc822: string | Buffer): string;
  /** Master + child pids currently alive. */
  pids(): number[];
  /** SIGTERM the master (as `kill $(cat DIR/run/master.pid)`), wait, remove DIR. Idempotent. */
  stop(): Promise<void>;
}

const NOBODY_UID = 65534;
const NOGROUP_GID = 65534;

/** Hash a password with `doveadm pw` (no config file read). Returns '{SCHEME}...'. */
export function doveadmHash(password: string, scheme = 'SHA512-CRYPT'): string {
  return execFileSync('doveadm', ['-O', 'pw', '-s', scheme, '-p', password], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

function checkUserName(name: string): void {
  if (name === '' || /[:/\r\n\0]/.test(name) || name.startsWith('#') || name.startsWith('.')) {
    throw new Error(`startDovecot: user name ${JSON.stringify(name)} cannot be stored in a passwd-file/maildir path`);
  }
}

function checkHash(user: string, hash: string): void {
  if (/[:\r\n]/.test(hash)) {
    throw new Error(`startDovecot: password hash of ${JSON.stringify(user)} contains ':' or a newline`);
  }
}

let instanceCounter = 0;

export async function startDovecot(opts: DovecotOptions): Promise<DovecotHandle> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error('startDovecot: needs root (mail processes run as nobody, login processes chroot)');
  }
  const dir = makeTempDir(opts.label ?? 'dovecot');
  const runDir = join(dir, 'run');
  const stateDir = join(dir, 'state');
  const mailRoot = join(dir, 'mail');
  const logPath = join(dir, 'dovecot.log');
  const confPath = join(dir, 'dovecot.conf');
  const passwdPath = join(dir, 'passwd');
  const mastersPath = join(dir, 'master-users');
  const oauth2Path = join(dir, 'dovecot-oauth2.conf.ext');
  const pidPath = join(runDir, 'master.pid');
  const protocols = opts.protocols ?? ['imap', 'pop3'];
  const timeoutMs = opts.startTimeoutMs ?? 10_000;

  const maildir = (user: string): string => {
    checkUserName(user);
    return join(mailRoot, user);
  };

  let imapPort = 0;
  let pop3Port = 0;
  let imapsPort = 0;
  let pop3sPort = 0;
  try {
    const [a, b, c, d] = await freePorts(4);
    imapPort = protocols.includes('imap') ? (opts.imapPort ?? (a as number)) : 0;
    pop3Port = protocols.includes('pop3') ? (opts.pop3Port ?? (b as number)) : 0;
    imapsPort = opts.ssl && protocols.includes('imap') ? (c as number) : 0;
    pop3sPort = opts.ssl && protocols.includes('pop3') ? (d as number) : 0;
    mkdirSync(stateDir);
    mkdirSync(mailRoot);
    chownSync(mailRoot, NOBODY_UID, NOGROUP_GID);

    const lines: string[] = [];
    for (const u of opts.users) {
      checkUserName(u.user);
      const hash = u.hash ?? (u.password !== undefined ? doveadmHash(u.password, u.scheme) : undefined);
      if (hash === undefined) throw new Error(`startDovecot: user ${JSON.stringify(u.user)} has no password or hash`);
      checkHash(u.user, hash);
      // user:password:uid:gid:gecos:home:shell:extra
      lines.push(`${u.user}:${hash}:${NOBODY_UID}:${NOGROUP_GID}::${maildir(u.user)}::`);
    }
    writeFileSync(passwdPath, lines.join('\n') + '\n', { mode: 0o644 });
    const masters = opts.masterUsers ?? [];
    if (masters.length > 0) {
      const m = masters.map((u) => {
        checkUserName(u.user);
        const hash = doveadmHash(u.password);
        checkHash(u.user, hash);
        return `${u.user}:${hash}`;
      });
      writeFileSync(mastersPath, m.join('\n') + '\n', { mode: 0o644 });
    }
    if (opts.oauth2) {
      const oauth2 = [
        `introspection_mode = post`,
        `introspection_url = ${opts.oauth2.introspectionUrl}`,
        `username_attribute = username`,
        `active_attribute = active`,
        `active_value = true`,
      ];
      writeFileSync(oauth2Path, oauth2.join('\n') + '\n', { mode: 0o644 });
    }

    const instance = `postern-test-${process.pid}-${++instanceCounter}`;
    const conf: string[] = [
      `# Standalone Dovecot config written by test/harness/dovecot.ts`,
      `instance_name = ${instance}`,
      `base_dir = ${runDir}`,
      `state_dir = ${stateDir}`,
      `log_path = ${logPath}`,
      `info_log_path = ${logPath}`,
      `debug_log_path = ${logPath}`,
      `listen = ${LOOPBACK}`,
      `protocols = ${protocols.join(' ')}`,
      ...(opts.ssl ? [`ssl = yes`, `ssl_cert = <${opts.ssl.cert}`, `ssl_key = <${opts.ssl.key}`] : [`ssl = no`]),
      `disable_plaintext_auth = no`,
      `auth_mechanisms = plain login${opts.oauth2 ? ' oauthbearer xoauth2' : ''}`,
      `auth_username_format = %u`,
      `auth_username_chars =`,
      `auth_verbose = yes`,
      `auth_failure_delay = ${opts.authFailureDelay ?? '0'}`,
      `login_greeting = ${(opts.loginGreeting ?? 'Dovecot ready.').replace(/[\r\n]/g, ' ')}`,
      `first_valid_uid = ${NOBODY_UID}`,
      `last_valid_uid = ${NOBODY_UID}`,
      `first_valid_gid = ${NOGROUP_GID}`,
      `last_valid_gid = ${NOGROUP_GID}`,
      `mail_location = maildir:${mailRoot}/%u`,
      `mail_privileged_group =`,
      `pop3_uidl_format = %08Xu%08Xv`,
      `shutdown_clients = yes`,
      `auth_master_user_separator = *`,
      ...(opts.debug ? ['auth_debug = yes', 'auth_debug_passwords = yes', 'mail_debug = yes'] : []),
      ...(masters.length > 0
        ? [
            `passdb {`,
            `  driver = passwd-file`,
            `  args = ${mastersPath}`,
            `  master = yes`,
            `  result_success = continue`,
            `}`,
          ]
        : []),
      // Bearer mechanisms only: the token is never compared as a password, and a refused token
      // stays refused (not tried against the passwd-file).
      ...(opts.oauth2
        ? [
            `passdb {`,
            `  driver = oauth2`,
            `  mechanisms = oauthbearer xoauth2`,
            `  args = ${oauth2Path}`,
            `  result_failure = return-fail`,
            `  result_internalfail = return-fail`,
            `}`,
          ]
        : []),
      `passdb {`,
      `  driver = passwd-file`,
      `  args = ${passwdPath}`,
      `}`,
      `userdb {`,
      `  driver = passwd-file`,
      `  args = ${passwdPath}`,
      `}`,
      ...(opts.haproxy ? [`haproxy_trusted_networks = ${opts.haproxy.trustedNetworks.join(' ')}`] : []),
      `service imap-login {`,
      `  inet_listener imap {`,
      `    address = ${LOOPBACK}`,
      `    port = ${imapPort}`,
      ...(opts.haproxy ? [`    haproxy = yes`] : []),
      `  }`,
      `  inet_listener imaps {`,
      `    address = ${LOOPBACK}`,
      `    port = ${imapsPort}`,
      `  }`,
      `}`,
      `service pop3-login {`,
      `  inet_listener pop3 {`,
      `    address = ${LOOPBACK}`,
      `    port = ${pop3Port}`,
      ...(opts.haproxy ? [`    haproxy = yes`] : []),
      `  }`,
      `  inet_listener pop3s {`,
      `    address = ${LOOPBACK}`,
      `    port = ${pop3sPort}`,
      `  }`,
      `}`,
      `service submission-login {`,
      `  inet_listener submission {`,
      `    port = 0`,
      `  }`,
      `}`,
      `service lmtp {`,
      `  unix_listener lmtp {`,
      `    mode = 0`,
      `  }`,
      `}`,
      `service anvil {`,
      `  unix_listener anvil-auth-penalty {`,
      `    mode = 0`,
      `  }`,
      `}`,
      ...(opts.extra ?? []),
    ];
    writeFileSync(confPath, conf.join('\n') + '\n', { mode: 0o644 });
  } catch (err) {
    removeTempDir(dir);
    throw err;
  }

  const log = (): string => readTextOr(logPath, '');

  const child = superviseChild(
    spawn('/usr/sbin/dovecot', ['-F', '-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] }),
    // As `kill $(cat DIR/run/master.pid)` (start-up checked that it holds our pid); the
    // master stops its children, whatever is left after 5 s gets SIGKILL.
    { name: 'dovecot', label: `dovecot ${dir}`, stopSignals: [['SIGTERM', 5000]], dir },
  );

  const diagnostics = (): string =>
    `--- ${confPath} ---\n${readTextOr(confPath, '(missing)')}\n--- dovecot output ---\n${child.output()}\n--- ${logPath} ---\n${log()}`;

  // master.pid is written after the listeners were created (a taken port is fatal).
  const pid = await waitUntilReady(child, {
    caller: 'startDovecot',
    pidPath,
    ports: [imapPort, pop3Port, imapsPort, pop3sPort].filter((p) => p > 0),
    timeoutMs,
    diagnostics,
  });

  let seq = 0;
  const deliver = (user: string, rfc822: string | Buffer): string => {
    const root = maildir(user);
    for (const d of [root, join(root, 'cur'), join(root, 'new'), join(root, 'tmp')]) {
      if (!existsSync(d)) {
        mkdirSync(d, { mode: 0o700 });
        chownSync(d, NOBODY_UID, NOGROUP_GID);
      }
    }
    const name = `${Date.now()}.P${process.pid}Q${++seq}.postern-test`;
    const tmpPath = join(root, 'tmp', name);
    const newPath = join(root, 'new', name);
    writeFileSync(tmpPath, rfc822, { mode: 0o600 });
    chownSync(tmpPath, NOBODY_UID, NOGROUP_GID);
    renameSync(tmpPath, newPath);
    return newPath;
  };

  return {
    dir,
    pid,
    ports: { imap: imapPort, pop3: pop3Port, imaps: imapsPort, pop3s: pop3sPort },
    confPath,
    log,
    maildir,
    deliver,
    pids: child.pids,
    stop: child.stop,
  };
}
