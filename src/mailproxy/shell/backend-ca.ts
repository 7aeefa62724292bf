/**
 * Where a listener's backend TLS finds the CAs it trusts (`backend_tls_ca_file`): a PEM file
 * the operator names, `bundled` for the roots compiled into Node, or `system`, the default: the
 * operating system's bundle, which is what operators update and what OpenSSL-based servers use.
 * `SSL_CERT_FILE` (OpenSSL's own override) wins, then the first bundle that exists of the
 * distributions' usual paths. Pure: the caller says which files exist.
 */
import { BACKEND_CA_BUNDLED, BACKEND_CA_SYSTEM } from '../../config/mail-proxy.js';

/** Debian/Ubuntu/Alpine (ca-certificates), Fedora/RHEL, openSUSE, and the BSDs' and macOS's. */
export const SYSTEM_CA_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'] as const;

export type BackendCaSource =
  | { kind: 'file'; path: string }
  /** Node's bundled roots: no `ca` option at all. */
  | { kind: 'bundled' }
  | { kind: 'missing'; tried: string[] };

export function backendCaSource(setting: string, env: NodeJS.ProcessEnv, exists: (path: string) => boolean): BackendCaSource {
  if (setting === BACKEND_CA_BUNDLED) return { kind: 'bundled' };
  if (setting !== BACKEND_CA_SYSTEM) return { kind: 'file', path: setting };
  const override = env.SSL_CERT_FILE;
  if (override) return { kind: 'file', path: override };
  const found = SYSTEM_CA_BUNDLES.find(exists);
  return found ? { kind: 'file', path: found } : { kind: 'missing', tried: [...SYSTEM_CA_BUNDLES] };
}
