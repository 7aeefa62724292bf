/**
 * The salt nginx makes for APOP and CRAM-MD5 (`ngx_mail_salt`, nginx-auth-http.md §4.3):
 * `<random.time@server_name>`, as `"<%ul.%T@%V>"` with `ngx_random()` (libc `random()`, 0 to
 * 2^31 - 1) and the Unix time in seconds [verified: `<337361947.1795432836@mail.test>`]. The
 * random number and the clock are parameters, so this stays pure. POP3 makes it at session start
 * when APOP or CRAM-MD5 is enabled (and shows it in the greeting); IMAP and SMTP make it at the
 * first CRAM-MD5 and keep it for the session.
 */

export interface SaltInputs {
  /** A fresh random integer; nginx's range is 0..2^31-1 (any non-negative integer is accepted). */
  random: number;
  /** Seconds since the Unix epoch. */
  unixTime: number;
  /** The `server_name`, as in the SMTP greeting. */
  serverName: string;
}

/** The salt without its CRLF; nginx stores it with one, which is why Auth-Salt needs no extra CRLF. */
export function formatSalt({ random, unixTime, serverName }: SaltInputs): string {
  for (const [what, n] of [['random', random], ['unixTime', unixTime]] as const) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer`);
  }
  if (/[\r\n]/.test(serverName)) throw new RangeError('serverName holds a line break');
  return `<${random}.${unixTime}@${serverName}>`;
}
