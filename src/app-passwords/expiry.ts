/**
 * How people give an app password's expiry, the same on the command line and in the console:
 * nothing or `never`; a number of days from now (`90d`); a date (`2027-01-01`, meaning 00:00 UTC
 * that day); or a full ISO-8601 time with a zone (`2027-01-01T12:00:00Z`).
 */

export type ExpiryResult = { ok: true; expiresAt: string | null } | { ok: false; message: string };

const MAX_DAYS = 3650;
const HOW = 'give a date such as 2027-01-01, a number of days such as 90d, or never';

export function parseExpiry(input: string | undefined | null, now: Date): ExpiryResult {
  const text = (input ?? '').trim().toLowerCase();
  if (text === '' || text === 'never') return { ok: true, expiresAt: null };
  const days = /^(\d{1,5})\s*d(ays?)?$/.exec(text);
  if (days) {
    const n = Number(days[1]);
    if (n < 1 || n > MAX_DAYS) return { ok: false, message: `the expiry "${text}" must be 1 to ${MAX_DAYS} days` };
    return { ok: true, expiresAt: new Date(now.getTime() + n * 86_400_000).toISOString() };
  }
  let at: number;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    at = Date.parse(`${text}T00:00:00Z`);
    // Date.parse rolls 2027-02-30 over to March: refuse dates that do not exist.
    if (!Number.isNaN(at) && new Date(at).toISOString().slice(0, 10) !== text) at = NaN;
  } else if (/^\d{4}-\d{2}-\d{2}t\d{2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+-]\d{2}:\d{2})$/.test(text)) {
    at = Date.parse(text.toUpperCase());
  } else {
    return { ok: false, message: `"${input}" is not an expiry: ${HOW}` };
  }
  if (Number.isNaN(at)) return { ok: false, message: `"${input}" is not a valid date: ${HOW}` };
  if (at <= now.getTime()) return { ok: false, message: `the expiry ${new Date(at).toISOString()} is not in the future: ${HOW}` };
  return { ok: true, expiresAt: new Date(at).toISOString() };
}
