/**
 * `postern test-login`: runs one decision exactly as the server would (same directory, same
 * engine) without touching nginx, and prints the answer, the reason and each step taken.
 * It never upgrades a hash or changes anything.
 *
 * For APOP and CRAM-MD5 it plays nginx and the client together: it makes a salt the way nginx
 * does (`<random.unixtime@host>`, nginx-auth-http.md §4.3) or takes --salt, and computes the
 * client's digest from the password it reads, or takes --digest (one copied from a real
 * session, with that session's salt). Auth-Pass is never printed, only where it came from.
 */
import { randomInt } from 'node:crypto';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { encodeReplyChecked } from '../authhttp/index.js';
import { METHODS, PROTOCOLS, type AuthRequest, type Method, type Protocol } from '../authhttp/types.js';
import { openRuntime } from '../app/runtime.js';
import { expectedDigest } from '../decision/challenge.js';
import { resultOf } from '../decision/outcome.js';
import type { Config } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { readPassword, readStdin } from './prompt.js';

/** Where the password comes from; tests replace the terminal and standard input. */
export interface PasswordInput {
  readStdin(): Promise<string>;
  readPassword(prompt: string): Promise<string>;
}

/** A salt as nginx makes one (ngx_mail_salt): `<random.unixtime@server_name>`. */
export function nginxSalt(serverName = hostname()): string {
  return `<${randomInt(2 ** 31)}.${Math.floor(Date.now() / 1000)}@${serverName}>`;
}

interface Options {
  protocol?: string;
  method: string;
  salt?: string;
  digest?: string;
  clientIp: string;
  passwordStdin?: boolean;
  rcpt?: string;
  from?: string;
  tlsVerify?: string;
  tlsSubject?: string;
  tlsFingerprint?: string;
  json?: boolean;
}

export function registerTestLogin(program: Command, loadCfg: () => Config, out: (s: string) => void, input: PasswordInput = { readStdin, readPassword }): void {
  program
    .command('test-login')
    .description('dry-run one auth decision and print what nginx would be told, and why')
    .argument('[login]', 'the login name as the client would send it (not needed with --method none)', '')
    .option('--protocol <protocol>', `one of ${PROTOCOLS.join(', ')} (default: imap; pop3 with --method apop)`)
    .option('--method <method>', `one of ${METHODS.join(', ')}`, 'plain')
    .option('--client-ip <ip>', 'the client address nginx would report', '127.0.0.1')
    .option('--password-stdin', 'read the password from standard input instead of asking')
    .option('--salt <salt>', "with apop or cram-md5: nginx's challenge, brackets included (default: a new one, made as nginx does)")
    .option('--digest <hex>', 'with apop or cram-md5: the digest the client sent (default: computed from the password read)')
    .option('--rcpt <address>', 'with --method none: the recipient of the inbound mail')
    .option('--from <address>', 'with --method none: the sender', '')
    .option('--tls-verify <result>', 'with --method external: SUCCESS, FAILED:reason or NONE')
    .option('--tls-subject <dn>', 'with --method external: the certificate subject (RFC 2253)')
    .option('--tls-fingerprint <sha1>', 'with --method external: the certificate SHA-1 fingerprint')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
APOP and CRAM-MD5: test-login reads the password (the mailbox's reversible credential), makes a
salt as nginx does (or takes --salt) and sends the digest a client would: APOP
hex(MD5(salt + password)), CRAM-MD5 hex(HMAC-MD5(password, salt)). With --digest it sends the
digest given instead (copy salt and digest from a real client's session to replay it).
The Auth-Pass nginx would get is never printed, only where it comes from (the client, the
reversible credential, a backend's master password).

Examples:
  postern test-login alice@example.com                     (asks for the password)
  echo 'secret' | postern test-login alice@example.com --protocol smtp --password-stdin
  echo 'secret' | postern test-login alice@example.com --method apop --password-stdin
  postern test-login alice@example.com --method cram-md5 --protocol imap     (asks for the password)
  postern test-login alice@example.com --method apop --salt '<1896.697170952@dbc.mtview.ca.us>' --digest c4c9334bac560ecc979e58001b3e22fb
  postern test-login --method none --protocol smtp --rcpt bob@example.com`,
    )
    .action(async (login: string, opts: Options) => {
      if (!(METHODS as readonly string[]).includes(opts.method)) throw new Error(`--method must be one of ${METHODS.join(', ')}`);
      const method = opts.method as Method;
      const protocol = (opts.protocol ?? (method === 'apop' ? 'pop3' : 'imap')) as Protocol;
      if (!(PROTOCOLS as readonly string[]).includes(protocol)) throw new Error(`--protocol must be one of ${PROTOCOLS.join(', ')}`);
      if (method === 'apop' && protocol !== 'pop3') throw new Error('APOP exists only in POP3: use --protocol pop3 (or --method cram-md5)');
      const challenge = method === 'apop' || method === 'cram-md5';
      if (!challenge && (opts.salt !== undefined || opts.digest !== undefined)) throw new Error('--salt and --digest go with --method apop or cram-md5');
      let pass = '';
      if (method === 'plain' || (challenge && opts.digest === undefined)) {
        pass = opts.passwordStdin ? await input.readStdin() : await input.readPassword('Password: ');
      }
      const salt = challenge ? (opts.salt ?? nginxSalt()) : undefined;
      if (salt !== undefined) pass = opts.digest ?? expectedDigest(method as 'apop' | 'cram-md5', salt, Buffer.from(pass, 'utf8'));
      const req: AuthRequest = {
        method,
        protocol,
        user: Buffer.from(method === 'none' ? '' : login, 'utf8'),
        pass: Buffer.from(pass, 'utf8'),
        attempt: 1,
        clientIp: opts.clientIp,
        ...(salt !== undefined ? { salt } : {}),
      };
      if (method === 'none') {
        if (!opts.rcpt) throw new Error('--method none needs --rcpt <address>');
        req.smtp = { helo: 'test-login', from: `MAIL FROM:<${opts.from ?? ''}>`, to: `RCPT TO:<${opts.rcpt}>` };
      }
      if (opts.tlsVerify || opts.tlsSubject || opts.tlsFingerprint) {
        req.tls = {};
        if (opts.tlsVerify) req.tls.verify = opts.tlsVerify;
        if (opts.tlsSubject) req.tls.subject = opts.tlsSubject;
        if (opts.tlsFingerprint) req.tls.fingerprint = opts.tlsFingerprint.toLowerCase().replace(/:/g, '');
      }
      const cfg = loadCfg();
      const rt = await openRuntime(cfg, { log: createLogger('silent'), dryRun: true });
      try {
        const trace: string[] = [];
        const outcome = await rt.decide(req, trace);
        const reply = encodeReplyChecked(outcome.decision, protocol);
        const headers = reply.bytes.toString('utf8').split('\r\n').slice(1).filter(Boolean);
        // Auth-Pass may be a reversible credential or a master password: say whose, never show it.
        const shown = headers.map((h) => (h.startsWith('Auth-Pass:') ? `Auth-Pass: (${outcome.passFrom ?? 'a password'}, not shown)` : h));
        const digest = salt !== undefined ? { salt, digest: pass } : {};
        if (opts.json) {
          out(JSON.stringify({ result: resultOf(outcome.decision), reason: outcome.reason, mailbox: outcome.mailbox, backend: outcome.backend, ...digest, steps: trace, reply: shown }, null, 2));
          return;
        }
        out(`result:  ${resultOf(outcome.decision)}`);
        out(`reason:  ${outcome.reason}`);
        if (outcome.mailbox) out(`mailbox: ${outcome.mailbox}`);
        if (outcome.backend) out(`backend: ${outcome.backend}`);
        if (outcome.problem) out(`problem: ${outcome.problem}`);
        if (salt !== undefined) out(`salt:    ${salt} (digest sent: ${pass})`);
        out('why:');
        for (const step of trace) out(`  - ${step}`);
        out('nginx would be told:');
        for (const h of shown) out(`  ${h}`);
      } finally {
        await rt.close();
      }
    });
}
