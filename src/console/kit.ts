/**
 * What every console feature is built from: the route shapes of the pages and the API, the
 * schema registry the OpenAPI document is generated from, and the two ways of saying no (an
 * error page, an API problem). A feature is one module exporting a ConsoleFeature; features.ts
 * lists them, and app.ts and api.ts serve whatever they declare.
 */
import { z } from 'zod';
import type { SessionStage } from '../admin/index.js';
import type { DirectoryError } from '../directory/types.js';
import type { ConsoleDeps, Ctx } from './context.js';
import { sendHtml, sendJson } from './http-io.js';
import { errorPage } from './views/pages.js';

export type PageHandler = (ctx: Ctx, deps: ConsoleDeps, params: string[], form: URLSearchParams | null) => Promise<void>;
export type ApiHandler = (ctx: Ctx, deps: ConsoleDeps, params: string[]) => Promise<void>;

export interface PageRoute {
  method: string;
  path: RegExp;
  run: PageHandler;
  /** The session stages the route serves (default: `full` only); see app.ts. */
  stages?: readonly SessionStage[];
}

export interface ApiRoute {
  method: string;
  /** Matched against the app path, e.g. /^\/api\/v1\/domains$/. */
  path: RegExp;
  run: ApiHandler;
}

export interface ConsoleFeature {
  pages?: readonly PageRoute[];
  api?: readonly ApiRoute[];
  /** OpenAPI path items, keyed relative to /api/v1 (e.g. `/domains/{name}`). */
  paths?: Record<string, unknown>;
}

/** The schemas the OpenAPI document names, each under its id in components.schemas. */
export const registry = z.registry<{ id: string }>();

export const Problem = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).register(registry, { id: 'Problem' });

/** OpenAPI helpers: a reference to a registered schema, and a JSON content map. */
export const ref = (id: string): { $ref: string } => ({ $ref: `#/components/schemas/${id}` });
export const json = (schema: unknown): Record<string, { schema: unknown }> => ({ 'application/json': { schema } });
/** An OpenAPI response carrying a Problem. */
export const problemResponse = (description: string): { description: string; content: Record<string, { schema: unknown }> } => ({ description, content: json(ref('Problem')) });
/** The error answers every authenticated API route can give. */
export const authErrors = {
  '401': problemResponse('no valid session cookie or Bearer token, or a session that has not passed the second factor (`second-factor-required`)'),
  '403': problemResponse('refused: origin check or CSRF token (cookie sessions only)'),
};

/** A list typed into a form field, split at commas and white space. */
export const splitList = (text: string | null | undefined): string[] => (text ?? '').split(/[\s,]+/).filter((x) => x !== '');

export function apiError(ctx: Ctx, status: number, code: string, message: string): void {
  sendJson(ctx.res, status, { error: { code, message } });
}

/** Parses a JSON body with a zod schema, or answers 400 `invalid-body` naming the first problem and returns null. */
export function parseBody<T>(ctx: Ctx, schema: z.ZodType<T>, body: unknown, expected: string): T | null {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  apiError(ctx, 400, 'invalid-body', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'} (expected ${expected})`);
  return null;
}

/** Who is signed in, as the page frame shows them. */
export function who(ctx: Ctx): { name: string; csrf: string | null } {
  const a = ctx.auth!;
  return { name: a.admin.name, csrf: a.kind === 'session' ? a.csrf : null };
}

/** An error page with a stable code and, when known, how to fix it. */
export function problem(ctx: Ctx, status: number, p: { code: string; message: string; fix?: string }): void {
  sendHtml(ctx.res, status, errorPage(ctx.settings, ctx.auth ? who(ctx) : undefined, status, p));
}

/** DirectoryError codes as HTTP statuses. */
export function directoryStatus(err: DirectoryError): number {
  return err.code === 'not-found' ? 404 : err.code === 'exists' || err.code === 'in-use' ? 409 : 400;
}
