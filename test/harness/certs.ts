// test/harness/certs.ts
// Client certificates for AUTH EXTERNAL tests, made with the openssl command line in a
// temporary folder: a CA, client certificates signed by it, and self-signed ones. Each
// certificate comes with the two values nginx hands the auth server, computed the way
// nginx computes them:
//   - fingerprint: SHA-1 of the DER certificate, 40 lower-case hex characters
//     (Auth-SSL-Fingerprint);
//   - subject: `openssl x509 -subject -nameopt RFC2253`, i.e. X509_NAME_print_ex with
//     XN_FLAG_RFC2253 as nginx uses for Auth-SSL-Subject. Note that RFC 2253 prints the
//     RDNs in REVERSE order: `-subj '/O=Example Org/CN=alice'` gives `CN=alice,O=Example Org`.

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from './tmp.js';

export interface TestCert {
  name: string;
  /** PEM certificate path. */
  cert: string;
  /** PEM private key path (unencrypted). */
  key: string;
  /** SHA-1 fingerprint, 40 lower-case hex characters, as nginx sends it. */
  fingerprint: string;
  /** RFC 2253 subject, as nginx sends it (reverse RDN order). */
  subject: string;
  /** RFC 2253 issuer. */
  issuer: string;
}

export interface TestCa {
  dir: string;
  /** The CA certificate (for nginx's ssl_client_certificate). */
  ca: TestCert;
  /** A client certificate signed by this CA; `subj` in openssl form, e.g. '/O=Example Org/CN=alice'. */
  issue(name: string, subj: string): TestCert;
  /** A self-signed client certificate (not from this CA), in the same folder. */
  selfSigned(name: string, subj: string): TestCert;
  /** Remove the folder. Idempotent. */
  remove(): void;
}

/** P-256 keys: generated in milliseconds, where RSA takes about 0.2 s each. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

function openssl(args: string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`certs: bad certificate name ${JSON.stringify(name)}`);
}

function certInfo(dir: string, name: string): TestCert {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const x = new X509Certificate(readFileSync(cert));
  const field = (which: 'subject' | 'issuer'): string => {
    const out = openssl(['x509', '-in', cert, '-noout', `-${which}`, '-nameopt', 'RFC2253'], dir).trim();
    return out.replace(new RegExp(`^${which}=`), '');
  };
  return {
    name,
    cert,
    key,
    fingerprint: x.fingerprint.replace(/:/g, '').toLowerCase(),
    subject: field('subject'),
    issuer: field('issuer'),
  };
}

/** Make a CA (`subj` e.g. '/O=Example Org/CN=Test CA') in a fresh temporary folder. */
export function makeTestCa(subj = '/O=Example Org/CN=Postern Test CA'): TestCa {
  const dir = makeTempDir('certs');
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    removeTempDir(dir);
  };
  const selfSigned = (name: string, s: string): TestCert => {
    checkName(name);
    openssl(['req', '-x509', ...NEW_KEY, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', s], dir);
    return certInfo(dir, name);
  };
  try {
    const ca = selfSigned('ca', subj);
    let serial = 0x1000;
    const issue = (name: string, s: string): TestCert => {
      checkName(name);
      if (name === 'ca') throw new Error('certs: "ca" is the CA itself');
      openssl(['req', ...NEW_KEY, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', s], dir);
      openssl(
        ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(++serial), '-days', '2', '-out', `${name}.pem`],
        dir,
      );
      return certInfo(dir, name);
    };
    return { dir, ca, issue, selfSigned, remove };
  } catch (err) {
    remove();
    throw err;
  }
}
