/**
 * `postern test-login`: runs one decision exactly as the server would (same directory, same
 * engine) without touching nginx, and prints the answer, the reason and each step taken.
 * It never upgrades a hash or changes anything.
 */
import type { Command } from 'commander';
import { encodeReplyChecked } from '../authhttp/index.js';
import { METHODS, PROTOCOLS, type AuthRequest, type Method, type Protocol } from '../authhttp/types.js';
import { openRuntime } from '../app/runtime.js';
import { resultOf } from '../decision/outcome.js';
import type { Config } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { readPassword, readStdin } from './prompt.js';

interface Options {
  protocol: string;
  method: string;
  clientIp: string;
  passwordStdin?: boolean;
  rcpt?: string;
  from?: string;
  tlsVerify?: string;
  tlsSubject?: string;
  tlsFingerprint?: string;
  json?: boolean;
}

export function registerTestLogin(program: Command, loadCfg: () => Config, out: (s: string) => void): void {
  program
    .command('test-login')
    .description('dry-run one auth decision and print what nginx would be told, and why')
    .argument('[login]', 'the login name as the client would send it (not needed with --method none)', '')
    .option('--protocol <protocol>', `one of ${PROTOCOLS.join(', ')}`, 'imap')
    .option('--method <method>', `one of ${METHODS.join(', ')}`, 'plain')
    .option('--client-ip <ip>', 'the client address nginx would report', '127.0.0.1')
    .option('--password-stdin', 'read the password from standard input instead of asking')
    .option('--rcpt <address>', 'with --method none: the recipient of the inbound mail')
    .option('--from <address>', 'with --method none: the sender', '')
    .option('--tls-verify <result>', 'with --method external: SUCCESS, FAILED:reason or NONE')
    .option('--tls-subject <dn>', 'with --method external: the certificate subject (RFC 2253)')
    .option('--tls-fingerprint <sha1>', 'with --method external: the certificate SHA-1 fingerprint')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  postern test-login alice@example.com                     (asks for the password)
  echo 'secret' | postern test-login alice@example.com --protocol smtp --password-stdin
  postern test-login --method none --protocol smtp --rcpt bob@example.com`,
    )
    .action(async (login: string, opts: Options) => {
      if (!(PROTOCOLS as readonly string[]).includes(opts.protocol)) throw new Error(`--protocol must be one of ${PROTOCOLS.join(', ')}`);
      if (!(METHODS as readonly string[]).includes(opts.method)) throw new Error(`--method must be one of ${METHODS.join(', ')}`);
      const method = opts.method as Method;
      const protocol = opts.protocol as Protocol;
      let pass = '';
      if (method === 'plain') pass = opts.passwordStdin ? await readStdin() : await readPassword('Password: ');
      const req: AuthRequest = {
        method,
        protocol,
        user: Buffer.from(method === 'none' ? '' : login, 'utf8'),
        pass: Buffer.from(pass, 'utf8'),
        attempt: 1,
        clientIp: opts.clientIp,
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
        // The one-time EXTERNAL token is not a secret, but keep the dry run's output stable and clean.
        const shown = headers.map((h) => (h.startsWith('Auth-Pass:') ? 'Auth-Pass: (one-time token)' : h));
        if (opts.json) {
          out(JSON.stringify({ result: resultOf(outcome.decision), reason: outcome.reason, mailbox: outcome.mailbox, backend: outcome.backend, steps: trace, reply: shown }, null, 2));
          return;
        }
        out(`result:  ${resultOf(outcome.decision)}`);
        out(`reason:  ${outcome.reason}`);
        if (outcome.mailbox) out(`mailbox: ${outcome.mailbox}`);
        if (outcome.backend) out(`backend: ${outcome.backend}`);
        out('why:');
        for (const step of trace) out(`  - ${step}`);
        out('nginx would be told:');
        for (const h of shown) out(`  ${h}`);
      } finally {
        await rt.close();
      }
    });
}
