/**
 * The introspection exchange over HTTP(S) (RFC 7662 §2): one POST per token, the client
 * authenticated with HTTP Basic, one total deadline for connect, request and answer. Anything
 * but a 200 with an RFC 7662 JSON body throws IntrospectionUnavailable naming what went wrong.
 * A new connection per request: a kept-alive socket the server closes while a request is on its
 * way would fail a login, and the cache (cached-introspector.ts) keeps the rate low.
 */
import http from 'node:http';
import https from 'node:https';
import {
  basicAuthorization,
  introspectionBody,
  introspectionResponse,
  IntrospectionUnavailable,
  type IntrospectionResponse,
  type Introspector,
} from './introspection.js';

/** An introspection answer is a few hundred bytes; anything this large is not one. */
const MAX_BODY_BYTES = 64 * 1024;

export interface HttpIntrospectorSettings {
  url: string;
  clientId: string;
  clientSecret: Buffer;
  timeoutMs: number;
  /** PEM CA certificates that replace the default roots for an https URL (a private CA). */
  ca?: Buffer;
}

export function createHttpIntrospector(s: HttpIntrospectorSettings): Introspector {
  const url = new URL(s.url);
  const client = url.protocol === 'https:' ? https : http;
  // For the log: where, without the query string (it is the operator's, but need not be repeated).
  const where = `introspection endpoint ${url.origin}${url.pathname}`;
  const authorization = basicAuthorization(s.clientId, s.clientSecret);
  const unavailable = (what: string): IntrospectionUnavailable => new IntrospectionUnavailable(`${where}: ${what}`);

  return {
    introspect(token) {
      const body = introspectionBody(token);
      return new Promise((resolve, reject) => {
        let settled = false;
        // Settles once: the first of answer, error, time-out or oversize wins, and the socket goes.
        const settle = (outcome: { value: IntrospectionResponse } | { error: Error }): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if ('value' in outcome) return resolve(outcome.value);
          req.destroy();
          // Node's own messages name the address and the error code, never the request body.
          reject(outcome.error instanceof IntrospectionUnavailable ? outcome.error : unavailable(errorText(outcome.error)));
        };
        const failWith = (what: string): void => settle({ error: unavailable(what) });
        const req = client.request(url, {
          method: 'POST',
          agent: false,
          ...(s.ca ? { ca: s.ca } : {}),
          headers: {
            Authorization: authorization,
            'Content-Type': 'application/x-www-form-urlencoded',
            'Content-Length': Buffer.byteLength(body),
            Accept: 'application/json',
          },
        });
        const timer = setTimeout(() => failWith(`no answer within ${s.timeoutMs} ms (oauth.timeout_ms)`), s.timeoutMs);
        req.on('error', (error) => settle({ error }));
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) return failWith(`answered more than ${MAX_BODY_BYTES} bytes`);
            chunks.push(chunk);
          });
          res.on('error', (error) => settle({ error }));
          res.on('end', () => {
            if (res.statusCode !== 200) {
              const hint = res.statusCode === 401 || res.statusCode === 403 ? ' (check oauth.client_id and the client secret)' : '';
              return failWith(`answered HTTP ${res.statusCode}${hint}`);
            }
            let json: unknown;
            try {
              json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              return failWith('answered something that is not JSON');
            }
            const parsed = introspectionResponse.safeParse(json);
            if (!parsed.success) return failWith('answered JSON without a boolean "active" (not an RFC 7662 response)');
            settle({ value: parsed.data });
          });
        });
        req.end(body);
      });
    },
  };
}

function errorText(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}
