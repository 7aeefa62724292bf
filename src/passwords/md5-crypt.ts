/**
 * MD5-CRYPT ($1$), Poul-Henning Kamp's md5crypt as in FreeBSD, glibc and Dovecot's own
 * password_generate_md5_crypt(). Weak (1,000 MD5 rounds, under a millisecond) and disabled
 * by default in Dovecot 2.4: Postern verifies it only so that old users can log in once and
 * have their hash upgraded.
 */
import { createHash } from 'node:crypto';
import { cryptB64Permuted } from './encodings.js';

const MAGIC = Buffer.from('$1$');
const ORDER = [0, 6, 12, 1, 7, 13, 2, 8, 14, 3, 9, 15, 4, 10, 5, 11];

/** The encoded digest (22 characters after the salt) for `password` and `salt` (at most 8 bytes used). */
export function md5CryptDigest(password: Buffer, salt: Buffer): string {
  const p = password;
  const s = salt.subarray(0, 8);
  const alt = createHash('md5').update(p).update(s).update(p).digest();

  const ctx = createHash('md5').update(p).update(MAGIC).update(s);
  for (let n = p.length; n > 0; n -= 16) ctx.update(alt.subarray(0, Math.min(n, 16)));
  // The original code meant to add nothing here but added a zero byte (its cleared
  // buffer) for each set bit and the first password byte for each clear one.
  const zero = Buffer.alloc(1);
  const first = p.subarray(0, 1);
  for (let bits = p.length; bits > 0; bits >>>= 1) ctx.update(bits & 1 ? zero : first);
  let fin = ctx.digest();

  // 1,000 rounds "to slow things down", mixing password, salt and the previous digest.
  for (let i = 0; i < 1000; i++) {
    const h = createHash('md5');
    h.update(i & 1 ? p : fin);
    if (i % 3 !== 0) h.update(s);
    if (i % 7 !== 0) h.update(p);
    h.update(i & 1 ? fin : p);
    fin = h.digest();
  }
  return cryptB64Permuted(fin, ORDER);
}

export function md5Crypt(password: Buffer, salt: Buffer): string {
  return `$1$${salt.subarray(0, 8).toString('latin1')}$${md5CryptDigest(password, salt)}`;
}
