/**
 * The backend API: GET/POST /api/v1/backends, GET/PATCH/DELETE /api/v1/backends/{name} and
 * PUT/DELETE /api/v1/backends/{name}/master, the same operations as the pages (backend-ops.ts).
 * The master password is write-only; answers show its state and key id, never the value or the
 * ciphertext.
 */
import { z } from 'zod';
import { VaultOffError } from '../directory/master-login.js';
import { actorOf } from './actor.js';
import { addBackend, changeBackend, clearMaster, getBackendView, listBackendViews, removeBackend, setMaster } from './backend-ops.js';
import type { ConsoleDeps, Ctx } from './context.js';
import { readJson, sendJson } from './http-io.js';
import { apiError, authErrors, json, parseBody, problemResponse, ref, registry, type ApiRoute } from './kit.js';
import { SecretStatusSchema } from './mailboxes-api.js';

const portValue = z.number().int().nullable().describe('1-65535; null: not served');
const Ports = z.object({ imap: portValue, pop3: portValue, smtp: portValue.describe('authenticated submission; null: not served'), mx: portValue.describe('inbound mail (Auth-Method none); null: the SMTP port') });
const PortsInput = z.object({ imap: portValue.optional(), pop3: portValue.optional(), smtp: portValue.optional(), mx: portValue.optional() }).strict();

z.object({
  name: z.string(),
  host: z.string().describe('an IP address or a host name (Postern resolves names for nginx)'),
  ports: Ports,
  master: z
    .object({ user: z.string(), separator: z.string(), password: SecretStatusSchema })
    .nullable()
    .describe('the master login (Dovecot master user) for IMAP/POP3; null: nginx logs in as the user'),
  routes: z.array(z.object({ kind: z.enum(['mailbox', 'domain', 'default', 'unknown']), subject: z.string().nullable() })).describe('the routes that send logins here; while any do, the backend cannot be removed'),
}).register(registry, { id: 'Backend' });

const NewBackend = z
  .object({ name: z.string().describe('1-63 letters, digits, ".", "_" or "-"'), host: z.string(), ports: PortsInput.describe('at least one port') })
  .strict()
  .register(registry, { id: 'NewBackend' });
const BackendPatch = z
  .object({ host: z.string().optional(), ports: PortsInput.optional().describe('a port left out is kept; null stops serving it') })
  .strict()
  .register(registry, { id: 'BackendPatch' });
const BackendMaster = z
  .object({
    user: z.string().describe('the master user name, as the backend knows it'),
    password: z.string().meta({ writeOnly: true, description: 'write-only: encrypted with the active vault key, never returned' }),
    separator: z.string().optional().describe("Dovecot's auth_master_user_separator; default *"),
  })
  .strict()
  .register(registry, { id: 'BackendMaster' });

/** The vault is off: a configuration problem the API names with its own code. */
async function orVaultOff(ctx: Ctx, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof VaultOffError)) throw err;
    apiError(ctx, 409, err.code, err.message);
  }
}

const ports = (p: z.infer<typeof PortsInput>) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined));

export const backendApi: readonly ApiRoute[] = [
  { method: 'GET', path: /^\/api\/v1\/backends$/, run: async (ctx, deps) => sendJson(ctx.res, 200, await listBackendViews(deps)) },
  {
    method: 'POST',
    path: /^\/api\/v1\/backends$/,
    run: async (ctx, deps) => {
      const body = parseBody(ctx, NewBackend, await readJson(ctx.req), '{"name": "imap1", "host": "10.0.0.5", "ports": {"imap": 143}}');
      if (body !== null) sendJson(ctx.res, 201, await addBackend(deps, actorOf(ctx, 'api'), { name: body.name, host: body.host, ports: ports(body.ports) }));
    },
  },
  { method: 'GET', path: /^\/api\/v1\/backends\/([^/]+)$/, run: async (ctx, deps, [name]) => sendJson(ctx.res, 200, await getBackendView(deps, name ?? '')) },
  {
    method: 'PATCH',
    path: /^\/api\/v1\/backends\/([^/]+)$/,
    run: async (ctx, deps, [name]) => {
      const body = parseBody(ctx, BackendPatch, await readJson(ctx.req), '{"host": "...", "ports": {"imap": 143, "pop3": null}}');
      if (body === null) return;
      if (body.host === undefined && (body.ports === undefined || Object.keys(ports(body.ports)).length === 0)) return apiError(ctx, 400, 'nothing-to-change', 'give "host" or "ports"');
      sendJson(ctx.res, 200, await changeBackend(deps, actorOf(ctx, 'api'), name ?? '', { ...(body.host !== undefined ? { host: body.host } : {}), ...(body.ports ? { ports: ports(body.ports) } : {}) }));
    },
  },
  {
    method: 'DELETE',
    path: /^\/api\/v1\/backends\/([^/]+)$/,
    run: async (ctx, deps, [name]) => {
      await removeBackend(deps, actorOf(ctx, 'api'), name ?? '');
      sendJson(ctx.res, 204, null);
    },
  },
  {
    method: 'PUT',
    path: /^\/api\/v1\/backends\/([^/]+)\/master$/,
    run: (ctx: Ctx, deps: ConsoleDeps, [name]) =>
      orVaultOff(ctx, async () => {
        const body = parseBody(ctx, BackendMaster, await readJson(ctx.req), '{"user": "postern", "password": "..."}');
        if (body !== null) sendJson(ctx.res, 200, await setMaster(deps, actorOf(ctx, 'api'), name ?? '', { user: body.user, password: body.password, ...(body.separator !== undefined ? { separator: body.separator } : {}) }));
      }),
  },
  { method: 'DELETE', path: /^\/api\/v1\/backends\/([^/]+)\/master$/, run: async (ctx, deps, [name]) => sendJson(ctx.res, 200, await clearMaster(deps, actorOf(ctx, 'api'), name ?? '')) },
];

export function backendPaths(): Record<string, unknown> {
  const name = { name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'the backend name' };
  const problem = problemResponse;
  const backend = (description: string) => ({ description, content: json(ref('Backend')) });
  return {
    '/backends': {
      get: { summary: 'List backends with their master login state (never the password)', responses: { '200': { description: 'by name', content: json({ type: 'array', items: ref('Backend') }) }, ...authErrors } },
      post: {
        summary: 'Add a backend',
        requestBody: { required: true, content: json(ref('NewBackend')) },
        responses: { '201': backend('the new backend'), '400': problem('invalid body, name, host or port (`invalid-body`, `invalid`)'), '409': problem('the name is taken (`exists`)'), ...authErrors },
      },
    },
    '/backends/{name}': {
      get: { summary: 'One backend', parameters: [name], responses: { '200': backend('the backend'), '404': problem('no such backend'), ...authErrors } },
      patch: {
        summary: 'Change the host or ports of a backend',
        parameters: [name],
        requestBody: { required: true, content: json(ref('BackendPatch')) },
        responses: { '200': backend('the backend after the change'), '400': problem('invalid body or value (`invalid-body`, `invalid`, `nothing-to-change`)'), '404': problem('no such backend'), ...authErrors },
      },
      delete: {
        summary: 'Remove a backend (refused while routes use it)',
        parameters: [name],
        responses: { '204': { description: 'removed' }, '404': problem('no such backend'), '409': problem('routes still use it (`in-use`; the message names them)'), ...authErrors },
      },
    },
    '/backends/{name}/master': {
      put: {
        summary: 'Set the master login (Dovecot master user) of a backend; the password is encrypted in the vault',
        parameters: [name],
        requestBody: { required: true, content: json(ref('BackendMaster')) },
        responses: {
          '200': backend('the backend, with the password state and key id'),
          '400': problem('invalid body, user, separator or password (`invalid-body`, `invalid`)'),
          '404': problem('no such backend'),
          '409': problem('the vault is off (`vault-off`): configure a key first'),
          ...authErrors,
        },
      },
      delete: { summary: 'Clear the master login: nginx logs in to IMAP/POP3 as the user again', parameters: [name], responses: { '200': backend('the backend after the change'), '404': problem('no such backend'), ...authErrors } },
    },
  };
}
