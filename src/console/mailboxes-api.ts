/**
 * The mailbox API: GET/POST /api/v1/mailboxes and GET/PATCH/DELETE /api/v1/mailboxes/{address},
 * the same operations as the pages (mailbox-ops.ts). Bodies are checked with the zod schemas
 * below, which the OpenAPI document also describes; passwords are write-only and no answer ever
 * holds a hash or a secret.
 */
import { z } from 'zod';
import { PROTOCOLS } from '../authhttp/types.js';
import { actorOf } from './actor.js';
import { readJson, sendJson } from './http-io.js';
import { apiError, authErrors, json, parseBody, problemResponse, ref, registry, type ApiRoute } from './kit.js';
import { addMailbox, changeMailbox, editedFields, getMailboxDetail, listMailboxViews, removeMailbox, type MailboxEdit } from './mailbox-ops.js';

const protocols = z.array(z.enum(PROTOCOLS));
const networks = z.array(z.string()).describe('client networks (IP addresses or CIDRs) the mailbox may log in from; empty: anywhere');
const writeOnlyPassword = z.string().meta({ writeOnly: true, description: 'write-only: checked, hashed with argon2id and never returned' });

const Mailbox = z.object({
  address: z.string(),
  enabled: z.boolean(),
  protocols,
  networks,
  passwordScheme: z.string().describe('the scheme of the stored hash (ARGON2ID, SHA512-CRYPT, ...) or none; never the hash'),
  reversibleCredential: z.boolean().describe('whether an APOP/CRAM-MD5 credential is stored (never its value)'),
  updatedAt: z.string(),
});
Mailbox.register(registry, { id: 'Mailbox' });

/** A stored vault secret as the console shows it: never the value or the ciphertext. */
export const SecretStatusSchema = z
  .object({
    state: z.enum(['set', 'not-set', 'unreadable']).describe('unreadable: stored, but the configured keys cannot decrypt it (logins that need it fail temporarily)'),
    keyId: z.string().nullable().describe('the vault key id it is encrypted with'),
    changedAt: z.string().nullable(),
    problem: z.string().optional().describe('for unreadable: what is wrong and what to do'),
  })
  .register(registry, { id: 'SecretStatus' });

Mailbox.extend({
  createdAt: z.string(),
  backendLogin: z.string().nullable().describe('the name the backend knows the mailbox by; null: its address'),
  credential: SecretStatusSchema,
  aliases: z.array(z.string()),
  route: z
    .object({ kind: z.enum(['mailbox', 'domain', 'default']), subject: z.string().nullable(), backend: z.string() })
    .nullable()
    .describe('the route its logins take (mailbox, then domain, then default); null: none, logins fail temporarily'),
  loginAtBackend: z.object({ imapPop3: z.string(), smtp: z.string() }).describe('what nginx logs in to the backend as (IMAP/POP3 through the master user when the backend has one)'),
}).register(registry, { id: 'MailboxDetail' });

const NewMailbox = z
  .object({
    address: z.string().describe('local@domain, in a served domain'),
    password: writeOnlyPassword.optional().describe('absent: no password logins'),
    protocols: protocols.optional().describe('default: all'),
    networks: networks.optional(),
    enabled: z.boolean().optional().describe('default: true'),
  })
  .strict()
  .register(registry, { id: 'NewMailbox' });

export const MailboxPatch = z
  .object({
    enabled: z.boolean().optional(),
    protocols: protocols.optional(),
    networks: networks.optional(),
    backendLogin: z.string().nullable().optional().describe('null: log in to the backend with the address'),
    password: writeOnlyPassword.optional(),
    reversibleCredential: z.literal(false).optional().describe('false clears the APOP/CRAM-MD5 credential; one is set on the server (postern mailbox secret set)'),
  })
  .strict()
  .register(registry, { id: 'MailboxPatch' });

const PATCH_FIELDS = '"enabled", "protocols", "networks", "backendLogin", "password" or "reversibleCredential": false';

export const mailboxApi: readonly ApiRoute[] = [
  {
    method: 'GET',
    path: /^\/api\/v1\/mailboxes$/,
    run: async (ctx, deps) => sendJson(ctx.res, 200, await listMailboxViews(deps, { q: ctx.query.get('q') ?? '', domain: ctx.query.get('domain') ?? '' })),
  },
  {
    method: 'POST',
    path: /^\/api\/v1\/mailboxes$/,
    run: async (ctx, deps) => {
      const body = parseBody(ctx, NewMailbox, await readJson(ctx.req), '{"address": "alice@example.com", "password": "...", "protocols": ["imap"], "networks": []}');
      if (body === null) return;
      const { address, password, protocols: p, networks: n, enabled } = body;
      sendJson(ctx.res, 201, await addMailbox(deps, actorOf(ctx, 'api'), { address, ...(password !== undefined ? { password } : {}), ...(p ? { protocols: p } : {}), ...(n ? { networks: n } : {}), ...(enabled !== undefined ? { enabled } : {}) }));
    },
  },
  { method: 'GET', path: /^\/api\/v1\/mailboxes\/([^/]+)$/, run: async (ctx, deps, [address]) => sendJson(ctx.res, 200, await getMailboxDetail(deps, address ?? '')) },
  {
    method: 'PATCH',
    path: /^\/api\/v1\/mailboxes\/([^/]+)$/,
    run: async (ctx, deps, [address]) => {
      const body = parseBody(ctx, MailboxPatch, await readJson(ctx.req), `an object with ${PATCH_FIELDS}`);
      if (body === null) return;
      const { reversibleCredential, ...rest } = body;
      const edit: MailboxEdit = { ...(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as MailboxEdit), ...(reversibleCredential === false ? { clearCredential: true } : {}) };
      if (editedFields(edit).length === 0) return apiError(ctx, 400, 'nothing-to-change', `give at least one of ${PATCH_FIELDS}`);
      sendJson(ctx.res, 200, await changeMailbox(deps, actorOf(ctx, 'api'), address ?? '', edit));
    },
  },
  {
    method: 'DELETE',
    path: /^\/api\/v1\/mailboxes\/([^/]+)$/,
    run: async (ctx, deps, [address]) => {
      await removeMailbox(deps, actorOf(ctx, 'api'), address ?? '');
      sendJson(ctx.res, 204, null);
    },
  },
];

export function mailboxPaths(): Record<string, unknown> {
  const address = { name: 'address', in: 'path', required: true, schema: { type: 'string' }, description: 'the mailbox address, percent-encoded' };
  const problem = problemResponse;
  const detail = (description: string) => ({ description, content: json(ref('MailboxDetail')) });
  return {
    '/mailboxes': {
      get: {
        summary: 'List mailboxes',
        parameters: [
          { name: 'q', in: 'query', required: false, schema: { type: 'string' }, description: 'only addresses containing this text (any case)' },
          { name: 'domain', in: 'query', required: false, schema: { type: 'string' }, description: 'only mailboxes of this served domain (or domain alias)' },
        ],
        responses: { '200': { description: 'by address', content: json({ type: 'array', items: ref('Mailbox') }) }, '404': problem('no such domain'), ...authErrors },
      },
      post: {
        summary: 'Add a mailbox',
        requestBody: { required: true, content: json(ref('NewMailbox')) },
        responses: {
          '201': detail('the new mailbox'),
          '400': problem('invalid body, address, password, protocol or network (`invalid-body`, `invalid`)'),
          '404': problem('the domain is not served (`not-found`)'),
          '409': problem('the address is already a mailbox or an alias (`exists`)'),
          ...authErrors,
        },
      },
    },
    '/mailboxes/{address}': {
      get: { summary: 'One mailbox, its aliases and its route (never the hash or a secret)', parameters: [address], responses: { '200': detail('the mailbox'), '404': problem('no such mailbox'), ...authErrors } },
      patch: {
        summary: 'Change a mailbox: enabled, protocols, networks, backend login, a new password; clear its reversible credential',
        parameters: [address],
        requestBody: { required: true, content: json(ref('MailboxPatch')) },
        responses: {
          '200': detail('the mailbox after the change'),
          '400': problem('invalid body or value (`invalid-body`, `invalid`, `nothing-to-change`)'),
          '404': problem('no such mailbox'),
          ...authErrors,
        },
      },
      delete: {
        summary: 'Delete a mailbox with its aliases, route, certificate mappings and app passwords (mail on the backend is not touched)',
        parameters: [address],
        responses: { '204': { description: 'deleted' }, '404': problem('no such mailbox'), ...authErrors },
      },
    },
  };
}
