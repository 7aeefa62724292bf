/**
 * The directory's command line: `postern domain|mailbox|alias|backend|route|cert ...`,
 * registered on a commander program. Each command opens the directory through
 * `withDirectory` (so the caller owns opening and closing), prints through `out`, and turns
 * a DirectoryError or a usage mistake into `error: <message>` on stderr with exit code 1
 * via commander's own error path (which honours exitOverride in tests and embedding).
 * Password hashes are never printed: only their scheme. Reversible credentials (APOP,
 * CRAM-MD5) are write-only: encrypted here with the vault's active key before they reach the
 * store, and shown only as set (with key id and time), not set, or UNREADABLE. The backend
 * commands (with master logins) are in backend-commands.ts.
 */
import { actionRunner, examples, UsageError } from './action.js';
import { checkStoredHash, newPasswordProblem } from '../passwords/index.js';
import { Command, Option } from 'commander';
import type { Backend, CertMatch, Directory, Mailbox, MailboxChanges, RouteKind } from '../directory/types.js';
import { DirectoryError, reversibleSecretBinding } from '../directory/types.js';
import { normaliseFingerprint, type DirectoryWithBans } from '../store/index.js';
import { encrypt, keyIdOf, type Keyring } from '../vault/index.js';
import { registerBackendCommands } from './backend-commands.js';
import { dash, formatTable } from './format.js';
import { credentialStatus, describeSecretStatus, type SecretStatus } from '../directory/secret-status.js';
import { readNewSecret, readTypedTwice, requireKeyring } from './secret-input.js';

export { formatTable } from './format.js';

/**
 * Runs `fn` with an open directory and closes it afterwards. What `openDirectory` returns
 * (directory and bans) by default; commands that need less ask for `WithDirectory<Directory>`.
 */
export type WithDirectory<D extends Directory = DirectoryWithBans> = <T>(fn: (dir: D) => Promise<T>) => Promise<T>;

export interface DirectoryCommandDeps {
  withDirectory: WithDirectory<Directory>;
  hashPassword: (pw: string) => Promise<string>;
  readPassword: (prompt: string) => Promise<string>;
  out: (line: string) => void;
  /** Reads all of standard input for `--password-stdin`; defaults to process.stdin. */
  readStdin?: () => Promise<string>;
  /** The vault keyring from the configuration; null (or absent) when the vault is off. */
  keyring?: () => Keyring | null;
}

/** What `mailbox show` says about the reversible credential: never the value, never blank. */
export type CredentialStatus = SecretStatus;

export { credentialStatus };

export function describeCredential(s: CredentialStatus): string {
  return describeSecretStatus(s, 'set it again with "postern mailbox secret set" or remove it with "postern mailbox secret clear"');
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** `{SHA512-CRYPT}$6$...` -> `SHA512-CRYPT`; a bare crypt string -> `CRYPT`; no hash -> `none`. */
export function passwordScheme(hash: string | null): string {
  if (hash === null) return 'none';
  const m = /^\{([^}]+)\}/.exec(hash);
  return m?.[1] ? m[1].toUpperCase() : 'CRYPT';
}

/** What nginx logs in to the backend as, for `mailbox show` (decision/backend-login.ts decides it). */
function describeBackendLogin(m: Mailbox, backend: Backend | null): string {
  const name = m.backendLogin;
  const base = name === null ? 'the address' : `"${name}"`;
  if (!backend || backend.masterUser === null) return base;
  return `${base}; IMAP/POP3 as "${name ?? m.address}${backend.masterSeparator}${backend.masterUser}" (master user of backend ${backend.name})`;
}

function publicMailbox(m: Mailbox) {
  const { passwordHash, reversibleSecret, secretChangedAt, ...rest } = m;
  const reversibleCredential = reversibleSecret === null ? null : { keyId: keyIdOf(reversibleSecret), changedAt: secretChangedAt };
  return { ...rest, passwordScheme: passwordScheme(passwordHash), reversibleCredential };
}

const list = (value: string): string[] => value.split(',').map((v) => v.trim()).filter((v) => v !== '');

export function registerDirectoryCommands(program: Command, deps: DirectoryCommandDeps): void {
  const { withDirectory, out } = deps;
  const readStdin = deps.readStdin ?? readAllStdin;
  const keyring = deps.keyring ?? (() => null);

  const run = actionRunner('postern.directory');
  const arg = (args: string[], i: number): string => args[i] ?? '';
  const printJsonOr = (json: boolean, value: unknown, lines: () => string[]) => {
    if (json) out(JSON.stringify(value, null, 2));
    else for (const l of lines()) out(l);
  };

  async function newPassword(opts: { passwordStdin?: boolean; passwordHash?: string }, prompt: boolean): Promise<string | undefined> {
    if (opts.passwordStdin && opts.passwordHash !== undefined) throw new UsageError('use either --password-stdin or --password-hash, not both');
    if (opts.passwordHash !== undefined) {
      // An existing Dovecot hash is stored as given, but only one Postern can verify.
      const problem = checkStoredHash(opts.passwordHash);
      if (problem) throw new UsageError(`--password-hash: ${problem.message}`);
      return opts.passwordHash;
    }
    if (!opts.passwordStdin && !prompt) return undefined;
    const plain = await readTypedTwice({ readPassword: deps.readPassword, readStdin }, { stdin: opts.passwordStdin === true, flag: '--password-stdin', label: 'Password', plural: 'the passwords' });
    const problem = newPasswordProblem(plain);
    if (problem) throw new UsageError(problem);
    return deps.hashPassword(plain);
  }

  // ---- domain ----
  const domain = program.command('domain').description('Manage the mail domains Postern serves and their aliases');
  domain
    .command('add <name>')
    .description('Serve a new domain')
    .addHelpText('after', examples('domain add example.com'))
    .action(run(async (_c, a) => out(`added domain ${(await withDirectory((d) => d.addDomain(arg(a, 0)))).name}`)));
  domain
    .command('list')
    .description('List domains with their aliases')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('domain list', 'domain list --json'))
    .action(
      run(async (c) => {
        const domains = await withDirectory((d) => d.listDomains());
        printJsonOr(!!c.opts().json, domains, () =>
          domains.length === 0
            ? ['no domains yet: add one with "postern domain add example.com"']
            : formatTable(['DOMAIN', 'ALIASES', 'CREATED'], domains.map((x) => [x.name, dash(x.aliases.join(',')), x.createdAt])),
        );
      }),
    );
  domain
    .command('remove <name>')
    .description('Stop serving a domain (it must have no mailboxes or aliases left)')
    .addHelpText('after', examples('domain remove old.example'))
    .action(run(async (_c, a) => (await withDirectory((d) => d.removeDomain(arg(a, 0))), out(`removed domain ${arg(a, 0).trim().toLowerCase()}`))));
  const domainAlias = domain.command('alias').description('Other names for a domain: alice@alias.example logs in as alice@example.com');
  domainAlias
    .command('add <alias> <domain>')
    .description('Make <alias> another name for <domain>')
    .addHelpText('after', examples('domain alias add example.net example.com'))
    .action(run(async (_c, a) => (await withDirectory((d) => d.addDomainAlias(arg(a, 0), arg(a, 1))), out(`added domain alias ${arg(a, 0).trim().toLowerCase()} -> ${arg(a, 1).trim().toLowerCase()}`))));
  domainAlias
    .command('remove <alias>')
    .description('Remove a domain alias')
    .addHelpText('after', examples('domain alias remove example.net'))
    .action(run(async (_c, a) => (await withDirectory((d) => d.removeDomainAlias(arg(a, 0))), out(`removed domain alias ${arg(a, 0).trim().toLowerCase()}`))));

  // ---- mailbox ----
  const mailbox = program.command('mailbox').description('Manage mailboxes (accounts that can log in)');
  const passwordOptions = (cmd: Command) =>
    cmd
      .addOption(new Option('--password-stdin', 'read the new password from standard input').conflicts('passwordHash'))
      .addOption(new Option('--password-hash <hash>', 'store an existing Dovecot {SCHEME} hash as given'));
  passwordOptions(mailbox.command('add <address>').description('Add a mailbox (prompts for the password unless one is given)'))
    .option('--disabled', 'create it disabled (no logins)')
    .option('--protocols <list>', 'allowed protocols, comma-separated subset of imap,pop3,smtp (default: all)', list)
    .option('--networks <list>', 'allowed client networks, comma-separated CIDRs or IPs (default: anywhere)', list)
    .addHelpText(
      'after',
      examples(
        'mailbox add alice@example.com',
        'echo "$PW" | postern mailbox add bob@example.com --password-stdin --protocols imap,smtp',
        "mailbox add carol@example.com --password-hash '{SHA512-CRYPT}$6$...' --networks 10.0.0.0/8,2001:db8::/32",
      ),
    )
    .action(
      run(async (c, a) => {
        const o = c.opts<{ passwordStdin?: boolean; passwordHash?: string; disabled?: boolean; protocols?: string[]; networks?: string[] }>();
        const hash = (await newPassword(o, true)) ?? null;
        const m = await withDirectory((d) =>
          d.addMailbox({ address: arg(a, 0), passwordHash: hash, enabled: !o.disabled, ...(o.protocols ? { protocols: o.protocols as Mailbox['protocols'] } : {}), networks: o.networks ?? [] }),
        );
        out(`added mailbox ${m.address}${m.enabled ? '' : ' (disabled)'}`);
      }),
    );
  mailbox
    .command('list')
    .description('List mailboxes')
    .option('--domain <name>', 'only mailboxes in this domain')
    .option('--json', 'print JSON (password hashes are never included)')
    .addHelpText('after', examples('mailbox list', 'mailbox list --domain example.com --json'))
    .action(
      run(async (c) => {
        const o = c.opts<{ domain?: string; json?: boolean }>();
        const boxes = await withDirectory((d) => d.listMailboxes(o.domain !== undefined ? { domain: o.domain } : undefined));
        printJsonOr(!!o.json, boxes.map(publicMailbox), () =>
          boxes.length === 0
            ? ['no mailboxes']
            : formatTable(
                ['ADDRESS', 'ENABLED', 'PASSWORD', 'PROTOCOLS', 'NETWORKS'],
                boxes.map((m) => [m.address, m.enabled ? 'yes' : 'no', passwordScheme(m.passwordHash), m.protocols.join(','), m.networks.join(',') || 'any']),
              ),
        );
      }),
    );
  mailbox
    .command('show <address>')
    .description('Show one mailbox, its aliases and where it is routed (never the password hash)')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('mailbox show alice@example.com'))
    .action(
      run(async (c, a) => {
        const found = await withDirectory(async (d) => {
          const m = await d.getMailbox(arg(a, 0));
          if (!m) return null;
          return { m, aliases: await d.listAliases({ mailbox: m.address }), backend: await d.routeFor(m) };
        });
        if (!found) throw new DirectoryError('not-found', `mailbox "${arg(a, 0).trim().toLowerCase()}" does not exist (see "postern mailbox list")`);
        const { m, aliases, backend } = found;
        const credential = credentialStatus(m, keyring());
        const view = { ...publicMailbox(m), reversibleCredential: credential, aliases: aliases.map((x) => x.address), backend: backend?.name ?? null };
        printJsonOr(!!c.opts().json, view, () => [
          `address:    ${m.address}`,
          `enabled:    ${m.enabled ? 'yes' : 'no'}`,
          `password:   ${passwordScheme(m.passwordHash)}`,
          `reversible credential: ${describeCredential(credential)}`,
          `protocols:  ${m.protocols.join(',')}`,
          `networks:   ${m.networks.join(',') || 'any'}`,
          `aliases:    ${view.aliases.join(', ') || '-'}`,
          `backend:    ${backend ? backend.name : 'none (no route matches: logins are refused)'}`,
          `backend login: ${describeBackendLogin(m, backend)}`,
          `created:    ${m.createdAt}`,
          `updated:    ${m.updatedAt}`,
        ]);
      }),
    );
  passwordOptions(mailbox.command('change <address>').description('Change a mailbox: password, enabled, protocols, networks, backend login'))
    .addOption(new Option('--password', 'prompt for a new password').conflicts(['passwordStdin', 'passwordHash']))
    .addOption(new Option('--enable', 'allow logins').conflicts('disable'))
    .option('--disable', 'refuse all logins')
    .option('--protocols <list>', 'allowed protocols, comma-separated subset of imap,pop3,smtp', list)
    .addOption(new Option('--networks <list>', 'allowed client networks, comma-separated CIDRs or IPs').argParser(list).conflicts('anyNetwork'))
    .option('--any-network', 'allow logins from anywhere')
    .option('--backend-login <name>', 'the name the backend knows this mailbox by, when it is not the address (nginx logs in to IMAP/POP3 with it)')
    .option('--no-backend-login', 'log in to the backend with the address again')
    .addHelpText(
      'after',
      examples(
        'mailbox change alice@example.com --password',
        'mailbox change bob@example.com --disable',
        'mailbox change carol@example.com --protocols imap --any-network',
        'mailbox change dave@example.com --backend-login dave      # the backend has "dave", not the address',
        'mailbox change dave@example.com --no-backend-login',
      ),
    )
    .action(
      run(async (c, a) => {
        const o = c.opts<{ password?: boolean; passwordStdin?: boolean; passwordHash?: string; enable?: boolean; disable?: boolean; protocols?: string[]; networks?: string[]; anyNetwork?: boolean; backendLogin?: string | false }>();
        const changes: MailboxChanges = {};
        const hash = await newPassword(o, !!o.password);
        if (hash !== undefined) changes.passwordHash = hash;
        if (o.enable || o.disable) changes.enabled = !!o.enable;
        if (o.protocols) changes.protocols = o.protocols as Mailbox['protocols'];
        if (o.networks) changes.networks = o.networks;
        if (o.anyNetwork) changes.networks = [];
        if (o.backendLogin !== undefined) changes.backendLogin = o.backendLogin === false ? null : o.backendLogin;
        if (Object.keys(changes).length === 0) {
          throw new UsageError(
            'nothing to change: give --password, --password-stdin, --password-hash, --enable, --disable, --protocols, --networks, --any-network, --backend-login or --no-backend-login',
          );
        }
        const m = await withDirectory((d) => d.changeMailbox(arg(a, 0), changes));
        out(`changed mailbox ${m.address}`);
      }),
    );
  const secret = mailbox
    .command('secret')
    .description('The reversible credential for APOP and CRAM-MD5, stored encrypted in the vault (write-only)');
  secret
    .command('set <address>')
    .description('Set the credential APOP and CRAM-MD5 logins use; nginx logs in to the backend with it, so the backend must accept it as the password (unless the backend has a master login)')
    .option('--stdin', 'read it from standard input (one line) instead of asking twice')
    .addHelpText('after', examples('mailbox secret set alice@example.com', 'echo "$SECRET" | postern mailbox secret set alice@example.com --stdin'))
    .action(
      run(async (c, a) => {
        const ring = requireKeyring(keyring(), 'a reversible credential');
        const value = await readNewSecret(
          { readPassword: deps.readPassword, readStdin },
          { stdin: !!c.opts<{ stdin?: boolean }>().stdin, label: 'Reversible credential', what: 'the reversible credential' },
        );
        try {
          const m = await withDirectory(async (d) => {
            const current = await d.getMailbox(arg(a, 0));
            if (!current) throw new DirectoryError('not-found', `mailbox "${arg(a, 0).trim().toLowerCase()}" does not exist (see "postern mailbox list")`);
            // Encrypted before the store sees it; if this throws, nothing is written.
            const ciphertext = encrypt(ring, 'credentials', value, reversibleSecretBinding(current.id));
            return d.setReversibleSecret(current.address, ciphertext);
          });
          out(`set the reversible credential of ${m.address} (encrypted with vault key ${ring.active.id}); APOP and CRAM-MD5 logins now work for it`);
        } finally {
          value.fill(0);
        }
      }),
    );
  secret
    .command('clear <address>')
    .description('Remove the reversible credential: APOP and CRAM-MD5 logins stop working for this mailbox')
    .addHelpText('after', examples('mailbox secret clear alice@example.com'))
    .action(
      run(async (_c, a) => {
        const m = await withDirectory((d) => d.setReversibleSecret(arg(a, 0), null));
        out(`cleared the reversible credential of ${m.address}`);
      }),
    );
  mailbox
    .command('remove <address>')
    .description('Remove a mailbox with its aliases, certificate mappings and route')
    .addHelpText('after', examples('mailbox remove alice@example.com'))
    .action(run(async (_c, a) => (await withDirectory((d) => d.removeMailbox(arg(a, 0))), out(`removed mailbox ${arg(a, 0).trim().toLowerCase()}`))));

  // ---- alias ----
  const alias = program.command('alias').description('Manage address aliases (another address that logs in as a mailbox)');
  alias
    .command('add <alias> <mailbox>')
    .description('Let <alias> log in as, and receive mail for, <mailbox>')
    .addHelpText('after', examples('alias add info@example.com alice@example.com'))
    .action(run(async (_c, a) => {
      const x = await withDirectory((d) => d.addAlias(arg(a, 0), arg(a, 1)));
      out(`added alias ${x.address} -> ${x.mailboxAddress}`);
    }));
  alias
    .command('list')
    .description('List aliases')
    .option('--mailbox <address>', 'only aliases of this mailbox')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('alias list', 'alias list --mailbox alice@example.com'))
    .action(
      run(async (c) => {
        const o = c.opts<{ mailbox?: string; json?: boolean }>();
        const rows = await withDirectory((d) => d.listAliases(o.mailbox !== undefined ? { mailbox: o.mailbox } : undefined));
        printJsonOr(!!o.json, rows, () => (rows.length === 0 ? ['no aliases'] : formatTable(['ALIAS', 'MAILBOX'], rows.map((x) => [x.address, x.mailboxAddress]))));
      }),
    );
  alias
    .command('remove <alias>')
    .description('Remove an alias')
    .addHelpText('after', examples('alias remove info@example.com'))
    .action(run(async (_c, a) => (await withDirectory((d) => d.removeAlias(arg(a, 0))), out(`removed alias ${arg(a, 0).trim().toLowerCase()}`))));

  registerBackendCommands(program, { withDirectory, out, run, printJsonOr, readPassword: deps.readPassword, readStdin, keyring });
  registerRouteCertCommands(program, { withDirectory, out, run, arg, printJsonOr });
}

interface Helpers {
  withDirectory: WithDirectory<Directory>;
  out: (line: string) => void;
  run: (fn: (cmd: Command, args: string[]) => Promise<void>) => (...all: unknown[]) => Promise<void>;
  arg: (args: string[], i: number) => string;
  printJsonOr: (json: boolean, value: unknown, lines: () => string[]) => void;
}

function registerRouteCertCommands(program: Command, h: Helpers): void {
  const { withDirectory, out, run, arg, printJsonOr } = h;

  // ---- route ----
  const route = program.command('route').description('Choose which backend logins go to: mailbox beats domain beats default; unknown users optionally go to a legacy backend');
  const selectors = (cmd: Command) =>
    cmd
      .option('--mailbox <address>', 'route of one mailbox')
      .option('--domain <name>', 'route of a domain (with --unknown: unknown users of that domain)')
      .option('--default', 'route of every mailbox without a mailbox or domain route')
      .option('--unknown', 'route of users the directory does not know (a legacy server during a migration)');
  const selected = (o: { mailbox?: string; domain?: string; default?: boolean; unknown?: boolean }): { kind: RouteKind; subject: string | null } => {
    const chosen = [o.mailbox !== undefined, o.default === true, o.unknown === true, o.domain !== undefined && !o.unknown].filter(Boolean).length;
    if (chosen !== 1) throw new UsageError('choose exactly one of --mailbox <address>, --domain <name>, --default or --unknown [--domain <name>]');
    if (o.unknown) return { kind: 'unknown', subject: o.domain ?? null };
    if (o.mailbox !== undefined) return { kind: 'mailbox', subject: o.mailbox };
    if (o.default) return { kind: 'default', subject: null };
    return { kind: 'domain', subject: o.domain ?? null };
  };
  const describe = (kind: RouteKind, subject: string | null) =>
    kind === 'default' ? 'default' : kind === 'unknown' ? `unknown${subject ? ` (${subject})` : ' (all domains)'}` : `${kind} ${subject ?? ''}`;
  selectors(route.command('set').description('Create or replace a route'))
    .requiredOption('--backend <name>', 'backend to send these logins to')
    .addHelpText(
      'after',
      examples('route set --default --backend dovecot1', 'route set --domain example.com --backend dovecot2', 'route set --mailbox alice@example.com --backend new', 'route set --unknown --backend legacy', 'route set --unknown --domain example.com --backend legacy'),
    )
    .action(
      run(async (c) => {
        const sel = selected(c.opts());
        const r = await withDirectory((d) => d.setRoute(sel.kind, sel.subject, c.opts<{ backend: string }>().backend));
        out(`route ${describe(r.kind, r.subject)} -> ${r.backendName}`);
      }),
    );
  route
    .command('list')
    .description('List routes')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('route list'))
    .action(
      run(async (c) => {
        const rows = await withDirectory((d) => d.listRoutes());
        printJsonOr(!!c.opts().json, rows, () =>
          rows.length === 0
            ? ['no routes yet: logins are refused until one matches (e.g. "postern route set --default --backend <name>")']
            : formatTable(['KIND', 'SUBJECT', 'BACKEND'], rows.map((r) => [r.kind, r.subject ?? (r.kind === 'unknown' ? '(all domains)' : '-'), r.backendName])),
        );
      }),
    );
  selectors(route.command('remove').description('Remove a route'))
    .addHelpText('after', examples('route remove --mailbox alice@example.com', 'route remove --unknown'))
    .action(
      run(async (c) => {
        const sel = selected(c.opts());
        await withDirectory((d) => d.removeRoute(sel.kind, sel.subject));
        out(`removed route ${describe(sel.kind, sel.subject)}`);
      }),
    );

  // ---- cert ----
  const cert = program.command('cert').description('Map verified client certificates to mailboxes (EXTERNAL logins)');
  const oneMatch = (o: { subject?: unknown; fingerprint?: unknown }): CertMatch => {
    if ((o.subject !== undefined) === (o.fingerprint !== undefined)) throw new UsageError('give exactly one of --subject or --fingerprint');
    return o.subject !== undefined ? 'subject' : 'fingerprint';
  };
  cert
    .command('add <mailbox>')
    .description('Let a client certificate log in as <mailbox>')
    .option('--subject <dn>', 'certificate subject DN (RFC 2253, as nginx reports it)')
    .option('--fingerprint <sha1hex>', 'SHA-1 fingerprint, 40 hex characters (colons allowed)')
    .addHelpText('after', examples("cert add --subject 'CN=alice,O=Example' alice@example.com", 'cert add --fingerprint AB:CD:...:EF alice@example.com'))
    .action(
      run(async (c, a) => {
        const o = c.opts<{ subject?: string; fingerprint?: string }>();
        const match = oneMatch(o);
        const value = match === 'fingerprint' ? normaliseFingerprint(o.fingerprint ?? '') : (o.subject ?? '');
        const m = await withDirectory((d) => d.addCertMapping(match, value, arg(a, 0)));
        out(`added certificate ${m.match} ${m.value} -> ${m.mailboxAddress}`);
      }),
    );
  cert
    .command('list')
    .description('List certificate mappings')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('cert list'))
    .action(
      run(async (c) => {
        const rows = await withDirectory((d) => d.listCertMappings());
        printJsonOr(!!c.opts().json, rows, () =>
          rows.length === 0 ? ['no certificate mappings'] : formatTable(['MATCH', 'VALUE', 'MAILBOX'], rows.map((r) => [r.match, r.value, r.mailboxAddress])),
        );
      }),
    );
  cert
    .command('remove <value>')
    .description('Remove a certificate mapping')
    .option('--subject', '<value> is a subject DN')
    .option('--fingerprint', '<value> is a SHA-1 fingerprint')
    .addHelpText('after', examples("cert remove --subject 'CN=alice,O=Example'", 'cert remove --fingerprint abcdef0123...'))
    .action(
      run(async (c, a) => {
        const match = oneMatch(c.opts<{ subject?: boolean; fingerprint?: boolean }>());
        const value = match === 'fingerprint' ? normaliseFingerprint(arg(a, 0)) : arg(a, 0);
        await withDirectory((d) => d.removeCertMapping(match, value));
        out(`removed certificate ${match} ${value}`);
      }),
    );
}
