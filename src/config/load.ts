/**
 * Loading the configuration: TOML file → environment overrides → schema check → resolved,
 * frozen `Config`. Every problem is reported at once, with the key and what to do.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { loadKeyring, type Keyring } from '../vault/index.js';
import { configSchema, type ConfigFile } from './schema.js';
import { BACKEND_CA_BUNDLED, BACKEND_CA_SYSTEM } from './mail-proxy.js';
import { OAUTH_SECRET_ENV, oauthSchema } from './oauth.js';

export interface Config extends ConfigFile {
  /** Absolute path of the file this came from. */
  file: string;
  /** The shared secret nginx must send; never logged. */
  secret: Buffer;
  /** The vault's keyring, or null when `[vault] keys` is empty (the vault is off). */
  keyring: Keyring | null;
  /** `[oauth]`'s client secret (client_secret_file or POSTERN_OAUTH_CLIENT_SECRET), null without `[oauth]`; never logged. */
  oauthClientSecret: Buffer | null;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`configuration ${file} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_CONFIG_FILE = 'postern.toml';
export const SECRET_ENV = 'POSTERN_AUTH_SECRET';
export const MIN_SECRET_BYTES = 16;

export function configPath(explicit?: string): string {
  return resolve(explicit ?? process.env.POSTERN_CONFIG ?? DEFAULT_CONFIG_FILE);
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [
      code === 'ENOENT' ? 'the file does not exist: create one with "postern init"' : `cannot read it (${code ?? String(err)})`,
    ]);
  }
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(file, [`TOML syntax: ${(err as Error).message.split('\n')[0]}`]);
  }
  const problems: string[] = [];
  applyEnv(raw, env, problems);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.') || '(top level)';
      const msg = issue.code === 'unrecognized_keys' ? `unknown setting(s) ${issue.keys.join(', ')}` : issue.message;
      problems.push(`${key}: ${msg}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(file, problems);
  const cfg = parsed.data;
  const base = dirname(file);
  cfg.database.path = resolve(base, cfg.database.path);
  if (cfg.auth.secret_file) cfg.auth.secret_file = resolve(base, cfg.auth.secret_file);
  for (const k of cfg.vault.keys) if (k.file !== undefined) k.file = resolve(base, k.file);
  const mp = cfg.mail_proxy;
  if (mp.tls_cert_file) mp.tls_cert_file = resolve(base, mp.tls_cert_file);
  if (mp.tls_key_file) mp.tls_key_file = resolve(base, mp.tls_key_file);
  for (const l of mp.listeners) {
    if (l.backend_tls_ca_file !== BACKEND_CA_SYSTEM && l.backend_tls_ca_file !== BACKEND_CA_BUNDLED) l.backend_tls_ca_file = resolve(base, l.backend_tls_ca_file);
    if (l.tls_client_ca_file) l.tls_client_ca_file = resolve(base, l.tls_client_ca_file);
  }
  if (cfg.oauth?.client_secret_file) cfg.oauth.client_secret_file = resolve(base, cfg.oauth.client_secret_file);
  if (cfg.oauth?.ca_file) cfg.oauth.ca_file = resolve(base, cfg.oauth.ca_file);
  const secret = readSecret(cfg, env, problems);
  const keyring = readKeyring(cfg, env, problems);
  const oauthClientSecret = readOauth(cfg, env, problems);
  if (problems.length > 0 || !secret || keyring === undefined || oauthClientSecret === undefined) throw new ConfigError(file, problems);
  return deepFreeze({ ...cfg, file, secret, keyring, oauthClientSecret });
}

/**
 * `[oauth]`'s client secret, from the environment or client_secret_file as the shared secret is;
 * null without `[oauth]`, undefined after reporting a problem. The time limit and the CA file are
 * checked here too, so `postern config check` finds what would fail every bearer login.
 */
function readOauth(cfg: ConfigFile, env: NodeJS.ProcessEnv, problems: string[]): Buffer | null | undefined {
  const o = cfg.oauth;
  if (!o) return null;
  if (o.timeout_ms >= cfg.auth.decision_timeout_ms) {
    problems.push(`oauth.timeout_ms: must be below auth.decision_timeout_ms (${cfg.auth.decision_timeout_ms}), or every slow introspection becomes a decision timeout`);
  }
  if (o.ca_file) {
    try {
      readFileSync(o.ca_file);
    } catch (err) {
      problems.push(`oauth.ca_file (${o.ca_file}): cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  let value: string | undefined;
  let source: string;
  if (env[OAUTH_SECRET_ENV]) {
    value = env[OAUTH_SECRET_ENV];
    source = OAUTH_SECRET_ENV;
  } else if (o.client_secret_file) {
    source = `oauth.client_secret_file (${o.client_secret_file})`;
    try {
      value = readFileSync(o.client_secret_file, 'utf8').split(/\r?\n/)[0];
    } catch (err) {
      problems.push(`${source}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      return undefined;
    }
  } else {
    problems.push(`oauth: no client secret; set oauth.client_secret_file or ${OAUTH_SECRET_ENV}`);
    return undefined;
  }
  const secret = Buffer.from((value ?? '').trim(), 'utf8');
  if (secret.length === 0 || /[\x00-\x1f\x7f]/.test(secret.toString('latin1'))) {
    problems.push(`${source}: the client secret must be one non-empty line without control characters`);
    return undefined;
  }
  return secret;
}

/** The vault keyring (null when no keys are configured); undefined after reporting its problems. */
function readKeyring(cfg: ConfigFile, env: NodeJS.ProcessEnv, problems: string[]): Keyring | null | undefined {
  if (cfg.vault.keys.length === 0) return null;
  const specs = cfg.vault.keys.map((k) => ({ id: k.id, state: k.state, ...(k.file !== undefined ? { file: k.file } : {}) }));
  const result = loadKeyring(specs, env, (p) => readFileSync(p));
  if (result.ok) return result.keyring;
  for (const p of result.error.problems) problems.push(`vault.keys: ${p.message}`);
  return undefined;
}

function readSecret(cfg: ConfigFile, env: NodeJS.ProcessEnv, problems: string[]): Buffer | null {
  let value: string | undefined;
  let source: string;
  if (env[SECRET_ENV]) {
    value = env[SECRET_ENV];
    source = SECRET_ENV;
  } else if (cfg.auth.secret_file) {
    source = `auth.secret_file (${cfg.auth.secret_file})`;
    try {
      value = readFileSync(cfg.auth.secret_file, 'utf8').split(/\r?\n/)[0];
    } catch (err) {
      problems.push(`${source}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      return null;
    }
  } else {
    problems.push(`auth: no shared secret; set auth.secret_file or ${SECRET_ENV} ("postern init" creates one)`);
    return null;
  }
  const secret = Buffer.from((value ?? '').trim(), 'utf8');
  if (secret.length < MIN_SECRET_BYTES) {
    problems.push(`${source}: the shared secret must be at least ${MIN_SECRET_BYTES} bytes (it is ${secret.length})`);
    return null;
  }
  if (!/^[\x21-\x7e]+$/.test(secret.toString('latin1'))) {
    problems.push(`${source}: the shared secret must be printable ASCII without spaces (nginx sends it as a header)`);
    return null;
  }
  return secret;
}

/**
 * POSTERN_<SECTION>_<KEY>=value overrides `[section] key`; the type follows the default's type.
 * `[oauth]` has no defaults (it is off without the section): a value for any of its keys makes
 * the section, as it would in the file, and a missing required key is then named as such.
 */
function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, problems: string[]): void {
  const defaults = { ...configSchema.parse({}), oauth: oauthSchema.parse({ introspection_url: 'https://id.invalid/', client_id: 'sample' }) } as Record<string, Record<string, unknown>>;
  const optionalKeys: Record<string, string[]> = { auth: ['secret_file'], mail_proxy: ['tls_cert_file', 'tls_key_file'], oauth: ['client_secret_file', 'ca_file'] };
  // A list of tables (or a table) has no comma-separated form; each key's bytes may come from POSTERN_KEY_<ID>.
  const tableOnly: Record<string, string[]> = { vault: ['keys'], mail_proxy: ['listeners', 'auth_http_headers'] };
  for (const [section, keys] of Object.entries(defaults)) {
    const names = [...Object.keys(keys), ...(optionalKeys[section] ?? [])].filter((k) => !(tableOnly[section] ?? []).includes(k));
    for (const key of names) {
      const name = `POSTERN_${section}_${key}`.toUpperCase();
      const text = env[name];
      if (text === undefined) continue;
      const sample = keys[key];
      let value: unknown = text;
      // A bad value is named once, here, and not applied (the schema would name it again).
      if (typeof sample === 'number') {
        value = Number(text);
        if (text.trim() === '' || !Number.isFinite(value)) {
          problems.push(`${name}: "${text}" is not a number`);
          continue;
        }
      } else if (typeof sample === 'boolean') {
        if (!['true', 'false'].includes(text)) {
          problems.push(`${name}: use true or false`);
          continue;
        }
        value = text === 'true';
      } else if (Array.isArray(sample)) {
        value = text.split(',').map((s) => s.trim()).filter(Boolean);
      }
      const target = (raw[section] ??= {}) as Record<string, unknown>;
      target[key] = value;
    }
  }
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Buffer.isBuffer(obj)) {
    for (const v of Object.values(obj)) deepFreeze(v);
    Object.freeze(obj);
  }
  return obj;
}
