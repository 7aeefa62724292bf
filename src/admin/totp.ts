/**
 * TOTP (RFC 6238) for the console's second factor, through otpauth 9 (HOTP/TOTP per RFC 4226 and
 * 6238; one small dependency, @noble/hashes, which is audited; its comparison per step is
 * crypto.timingSafeEqual). The parameters are the ones every authenticator app supports:
 * SHA-1, 6 digits, 30-second steps (RFC 6238 §4, §5.2), and one step of tolerance either side
 * for clock drift and typing time (RFC 6238 §5.2 recommends at most one).
 *
 * Replay (RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the OTP after the
 * successful validation has been issued for the first OTP"): a check answers the time step the
 * code belongs to, and a code of the last accepted step or an earlier one is refused. This
 * module only says so; the authority is the database's compare-and-set on the admin's last step
 * (src/store/admin-totp.ts), which holds across processes.
 */
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

export const TOTP_ALGORITHM = 'SHA1';
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Steps accepted before and after the current one. */
export const TOTP_WINDOW = 1;
/** 160 bits: RFC 4226 §4 R6 recommends it for HMAC-SHA-1, and it is what authenticator apps expect. */
export const TOTP_SECRET_BYTES = 20;

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: 'malformed' | 'wrong' | 'replayed' };

export function newTotpSecret(): Buffer {
  return randomBytes(TOTP_SECRET_BYTES);
}

/** The time step of an instant: floor(unix seconds / 30) (RFC 6238 §4.2, T0 = 0). */
export function totpStep(at: Date): number {
  return TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp: at.getTime() });
}

/** The code for an instant (tests, and the e2e browser user with the secret it enrolled). */
export function totpCode(secret: Buffer, at: Date): string {
  return totp(secret).generate({ timestamp: at.getTime() });
}

/** A code as typed: digits, spaces allowed ("123 456"); null when it cannot be a code at all. */
export function normaliseTotpCode(input: string): string | null {
  const code = input.replace(/[\s-]/g, '');
  return /^[0-9]{6}$/.test(code) ? code : null;
}

/**
 * Whether `input` is a valid code at `now`, within ±1 step, and newer than `lastStep` (the last
 * step this admin used; null: none yet).
 */
export function checkTotp(secret: Buffer, input: string, now: Date, lastStep: number | null): TotpCheck {
  const code = normaliseTotpCode(input);
  if (code === null) return { ok: false, reason: 'malformed' };
  const delta = totp(secret).validate({ token: code, timestamp: now.getTime(), window: TOTP_WINDOW });
  if (delta === null) return { ok: false, reason: 'wrong' };
  const step = totpStep(now) + delta;
  if (lastStep !== null && step <= lastStep) return { ok: false, reason: 'replayed' };
  return { ok: true, step };
}

/** The secret as authenticator apps take it by hand: RFC 4648 base32, in groups of four. */
export function totpSecretText(secret: Buffer): string {
  return (new Secret({ buffer: toArrayBuffer(secret) }).base32.match(/.{1,4}/g) ?? []).join(' ');
}

/** The `otpauth://totp/...` URI (Google Authenticator's Key Uri Format) for a QR code or a link. */
export function totpUri(secret: Buffer, issuer: string, account: string): string {
  return new TOTP({ issuer, label: account, algorithm: TOTP_ALGORITHM, digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS, secret: new Secret({ buffer: toArrayBuffer(secret) }) }).toString();
}

function totp(secret: Buffer): TOTP {
  return new TOTP({ algorithm: TOTP_ALGORITHM, digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS, secret: new Secret({ buffer: toArrayBuffer(secret) }) });
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
