/**
 * Client-certificate mappings for EXTERNAL logins: a verified certificate's subject DN or
 * SHA-1 fingerprint names one mailbox. Fingerprints are stored as 40 lower-case hex
 * characters, the form nginx sends, whatever form the admin typed.
 */
import { DirectoryError, type CertMapping, type CertMatch } from '../directory/types.js';
import { requireMailbox } from './mailboxes.js';
import { now, uniqueOr, type Store } from './rows.js';
import { parseAddress, parseCertValue } from './validate.js';

export async function addCertMapping(s: Store, match: CertMatch, input: string, mailboxInput: string): Promise<CertMapping> {
  const value = parseCertValue(match, input);
  const address = parseAddress(mailboxInput).address;
  return s.db.transaction().execute(async (trx) => {
    const mailbox = await requireMailbox(trx, address);
    const current = await trx
      .selectFrom('cert_mappings as c')
      .innerJoin('mailboxes as m', 'm.id', 'c.mailbox_id')
      .select('m.address')
      .where('c.match', '=', match)
      .where('c.value', '=', value)
      .executeTakeFirst();
    if (current) {
      throw new DirectoryError(
        'exists',
        `certificate ${match} "${value}" is already mapped to mailbox "${current.address}" (remove it first with "postern cert remove --${match} ${JSON.stringify(value)}")`,
      );
    }
    const row = await uniqueOr(s, `certificate ${match} "${value}" is already mapped`, () =>
      trx.insertInto('cert_mappings').values({ match, value, mailbox_id: mailbox.id, created_at: now() }).returning('id').executeTakeFirstOrThrow(),
    );
    return { id: Number(row.id), match, value, mailboxId: mailbox.id, mailboxAddress: mailbox.address };
  });
}

export async function listCertMappings(s: Store): Promise<CertMapping[]> {
  const rows = await s.db
    .selectFrom('cert_mappings as c')
    .innerJoin('mailboxes as m', 'm.id', 'c.mailbox_id')
    .select(['c.id', 'c.match', 'c.value', 'c.mailbox_id', 'm.address'])
    .orderBy('m.address')
    .orderBy('c.match')
    .orderBy('c.value')
    .execute();
  return rows.map((r) => ({ id: Number(r.id), match: r.match as CertMatch, value: r.value, mailboxId: Number(r.mailbox_id), mailboxAddress: r.address }));
}

export async function removeCertMapping(s: Store, match: CertMatch, input: string): Promise<void> {
  const value = parseCertValue(match, input);
  const result = await s.db.deleteFrom('cert_mappings').where('match', '=', match).where('value', '=', value).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) {
    throw new DirectoryError('not-found', `no mailbox is mapped to certificate ${match} "${value}" (see "postern cert list")`);
  }
}
