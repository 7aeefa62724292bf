/**
 * Reading requests and writing responses for the console on plain node:http: bounded bodies,
 * cookies, form and JSON parsing, and the headers every answer carries (no caching, no
 * framing, a strict Content-Security-Policy, HSTS over https).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cookieAttributes, type CookieScope } from '../http/index.js';
import type { Html } from './html.js';

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    readonly code: 'body-too-large' | 'bad-json' | 'bad-content-type',
    message: string,
  ) {
    super(message);
  }
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyError(413, 'body-too-large', `the request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** An HTML form post (application/x-www-form-urlencoded) as its fields. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  const body = await readBody(req, 16 * 1024);
  if (body.length > 0 && type !== 'application/x-www-form-urlencoded') {
    throw new BodyError(415, 'bad-content-type', 'forms must be sent as application/x-www-form-urlencoded');
  }
  return new URLSearchParams(body.toString('utf8'));
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new BodyError(415, 'bad-content-type', 'send the body as application/json');
  const body = await readBody(req, 64 * 1024);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new BodyError(400, 'bad-json', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Cookie header pairs (RFC 6265 §5.4); the first of a repeated name wins, as the most specific path comes first. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

export function setCookie(scope: CookieScope, value: string, opts: { maxAgeSeconds?: number } = {}): string {
  const age = opts.maxAgeSeconds === undefined ? '' : `; Max-Age=${opts.maxAgeSeconds}`;
  return `${scope.name}=${value}; ${cookieAttributes(scope)}${age}`;
}

export function clearCookie(scope: CookieScope): string {
  return setCookie(scope, '', { maxAgeSeconds: 0 });
}

export interface ResponseOptions {
  cookies?: string[];
  headers?: Record<string, string>;
}

/**
 * `origin` is the public URL's: pages link their stylesheet and script there, so a page reached
 * at another address (which its findings then explain) still renders.
 */
export function baseHeaders(res: ServerResponse, https: boolean, origin: string): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; script-src 'self' ${origin}; style-src 'self' ${origin}; img-src 'self' data:; connect-src 'self' ${origin}; form-action 'self' ${origin}; frame-ancestors 'none'; base-uri 'none'`,
  );
  if (https) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
}

function finish(res: ServerResponse, status: number, type: string, body: string | Buffer, opts: ResponseOptions): void {
  if (opts.cookies && opts.cookies.length > 0) res.setHeader('Set-Cookie', opts.cookies);
  for (const [k, v] of Object.entries(opts.headers ?? {})) res.setHeader(k, v);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendHtml(res: ServerResponse, status: number, page: Html, opts: ResponseOptions = {}): void {
  finish(res, status, 'text/html; charset=utf-8', `<!doctype html>\n${page.text}`, opts);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, opts: ResponseOptions = {}): void {
  if (status === 204) {
    if (opts.cookies && opts.cookies.length > 0) res.setHeader('Set-Cookie', opts.cookies);
    res.writeHead(204);
    res.end();
    return;
  }
  finish(res, status, 'application/json; charset=utf-8', JSON.stringify(value, null, 2) + '\n', opts);
}

export function sendText(res: ServerResponse, status: number, type: string, body: string, opts: ResponseOptions = {}): void {
  finish(res, status, type, body, opts);
}

/** 303 for redirects after a form post (the browser then GETs), 302 otherwise. */
export function redirect(res: ServerResponse, location: string, opts: ResponseOptions & { status?: 302 | 303 } = {}): void {
  res.setHeader('Location', location);
  finish(res, opts.status ?? 302, 'text/plain; charset=utf-8', `see ${location}\n`, opts);
}
