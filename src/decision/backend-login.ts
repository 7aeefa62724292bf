/**
 * What nginx logs in to the backend with, once a login has been accepted (issue 4, item 7):
 * the `Auth-User` and `Auth-Pass` of an OK reply (nginx-auth-http.md §2.2).
 *
 *   IMAP, POP3 and a backend with a master user (Dovecot master users):
 *     Auth-User = <backend login> <separator> <master user>, Auth-Pass = the master password,
 *     whatever method the client used (plain, APOP, CRAM-MD5, EXTERNAL), so the backend needs
 *     neither the user's password nor a passdb that trusts the proxy.
 *   IMAP, POP3 without one: Auth-User = the backend login when the mailbox has one; Auth-Pass as
 *     the method gives it (the client's own password, the reversible credential, EXTERNAL's
 *     one-time value).
 *   SMTP: never the master credential. nginx sends no password to an SMTP backend unless
 *     `proxy_smtp_auth` is on (§3.4), and XCLIENT carries only `LOGIN=`, the name Postfix logs
 *     and checks sender ownership against; that name is the backend login when there is one.
 *
 * <backend login> is the mailbox's backend_login, else its canonical address. A master password
 * that cannot be decrypted, is missing (reset) or cannot be sent is a temporary failure naming
 * the key id; never an empty Auth-Pass, never the ciphertext, never a quiet fall-back to
 * logging in as the user.
 */
import type { Protocol } from '../authhttp/types.js';
import { createSecretMemo } from '../cache/secret-memo.js';
import { masterSecretBinding, type Backend, type Mailbox } from '../directory/types.js';
import { decrypt, describeUndecryptable, keyIdOf, type DecryptResult, type Keyring } from '../vault/index.js';
import { reversibleSecretProblem } from './challenge.js';
import type { Reason } from './outcome.js';

export interface Login {
  user?: string;
  pass?: string;
  /** Where `pass` came from (never the value), for test-login. */
  passFrom?: string;
}

export type BackendLogin = { ok: true; login: Login } | { ok: false; reason: Reason; problem: string; keyId?: string };

/** Master passwords decrypted once per backend and ciphertext (a new password is a new ciphertext). */
const openedMasters = createSecretMemo();

export function backendLogin(protocol: Protocol, mailbox: Mailbox, backend: Backend, keyring: Keyring | null, given: Login, t?: string[]): BackendLogin {
  const name = mailbox.backendLogin;
  if (protocol === 'smtp' || backend.masterUser === null) {
    if (name === null) return { ok: true, login: given };
    t?.push(`the backend knows this mailbox as "${name}"`);
    return { ok: true, login: { ...given, user: name } };
  }
  const who = name ?? mailbox.address;
  const master = `${who}${backend.masterSeparator}${backend.masterUser}`;
  if (who.includes(backend.masterSeparator)) {
    // The backend splits at the separator: it would read another user or master name.
    const problem = `the backend login "${who}" contains backend "${backend.name}"'s master user separator "${backend.masterSeparator}": set another with "postern mailbox change ${mailbox.address} --backend-login <name>"`;
    t?.push(problem);
    return { ok: false, reason: 'master-login-unusable', problem };
  }
  if (backend.masterSecret === null) {
    const problem = `backend "${backend.name}" has master user "${backend.masterUser}" but no master password (it was reset): set it with "postern backend master set ${backend.name} --user ${backend.masterUser}"`;
    t?.push(problem);
    return { ok: false, reason: 'master-login-unusable', problem };
  }
  const masterLogin = (pass: string): BackendLogin => {
    t?.push(`backend "${backend.name}" has master user "${backend.masterUser}": nginx logs in as "${master}" with the master password`);
    return { ok: true, login: { user: master, pass, passFrom: `the master password of backend "${backend.name}"` } };
  };
  const remembered = keyring ? openedMasters.get(keyring, String(backend.id), backend.masterSecret) : undefined;
  if (remembered !== undefined) return masterLogin(remembered);
  const opened: DecryptResult = keyring
    ? decrypt(keyring, 'credentials', backend.masterSecret, masterSecretBinding(backend.id))
    : { ok: false, keyId: keyIdOf(backend.masterSecret), reason: 'missing-key' };
  if (!opened.ok) {
    const problem = `the master password of backend "${backend.name}" is ${describeUndecryptable(opened)}`;
    t?.push(problem);
    return { ok: false, reason: 'secret-undecryptable', problem, ...(opened.keyId !== null ? { keyId: opened.keyId } : {}) };
  }
  try {
    const unsendable = reversibleSecretProblem(opened.plaintext);
    if (unsendable) {
      const problem = `the master password of backend "${backend.name}" cannot be sent as Auth-Pass: ${unsendable}`;
      t?.push(problem);
      return { ok: false, reason: 'secret-unsendable', problem };
    }
    const pass = opened.plaintext.toString('utf8');
    openedMasters.set(keyring!, String(backend.id), backend.masterSecret, pass);
    return masterLogin(pass);
  } finally {
    opened.plaintext.fill(0);
  }
}
