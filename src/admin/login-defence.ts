/**
 * Limits on failed console logins, on the pattern of src/defence (anchors-auth.md; Mailu's
 * distinct-password counting): per resolved client IP, distinct (name, password) pairs; per
 * admin name, distinct wrong passwords. A browser resubmitting one wrong password counts once.
 * The name limit cannot lock the owner out: a client IP that logged in as that name within
 * `ownerMs` is not held to it (src/defence's account protection). Unknown names are counted
 * like known ones, so the limits reveal nothing about which names exist. Counters live behind
 * `Counters` (memory now; Redis when several instances share the load).
 */
import { randomBytes } from 'node:crypto';
import { hmacSha256 } from '../crypto/hmac.js';
import type { Counters } from '../defence/types.js';

export interface LoginDefenceSettings {
  ipLimit: number;
  nameLimit: number;
  windowMs: number;
  /** How long a successful login makes its IP the owner's for that name. */
  ownerMs: number;
}

export type LoginGate = { ok: true } | { ok: false; code: 'too-many-failures'; limit: 'ip' | 'name'; retryMinutes: number };

export interface LoginDefence {
  /** Asked before the password is checked: a refused attempt costs no argon2 and counts nothing. */
  admits(ip: string, name: string): Promise<LoginGate>;
  failed(ip: string, name: string, password: string): Promise<void>;
  succeeded(ip: string, name: string): Promise<void>;
}

export function createLoginDefence(settings: LoginDefenceSettings, counters: Counters, key: Buffer = randomBytes(32)): LoginDefence {
  // Passwords are counted as keyed digests: the counters never hold one, even in memory.
  const mac = hmacSha256(key);
  const digest = (...parts: string[]): string => mac(parts.join('\0')).toString('base64url').slice(0, 22);
  const ipKey = (ip: string) => `console-ip:${ip}`;
  const nameKey = (name: string) => `console-name:${name}`;
  const ownerKey = (name: string) => `console-owner:${name}`;
  const refuse = (limit: 'ip' | 'name'): LoginGate => ({ ok: false, code: 'too-many-failures', limit, retryMinutes: Math.ceil(settings.windowMs / 60000) });
  const count = (key: string): Promise<number> => counters.countDistinct(key, settings.windowMs);

  return {
    async admits(ip, name) {
      if ((await count(ipKey(ip))) >= settings.ipLimit) return refuse('ip');
      if ((await count(nameKey(name))) >= settings.nameLimit && !(await counters.hasMember(ownerKey(name), ip, settings.ownerMs))) return refuse('name');
      return { ok: true };
    },
    async failed(ip, name, password) {
      await counters.addDistinct(ipKey(ip), digest(name, password), settings.windowMs);
      await counters.addDistinct(nameKey(name), digest(password), settings.windowMs);
    },
    async succeeded(ip, name) {
      await counters.addDistinct(ownerKey(name), ip, settings.ownerMs);
      await counters.reset(ipKey(ip));
    },
  };
}
