/**
 * The login history and the dashboard in the console and the API (issue 5, item 5). Each has
 * one function below that its page and its API route both call, so both answer from the same
 * filters (src/history/filter.ts) and the same figures (src/history/dashboard.ts). Read-only:
 * nothing here changes anything, so nothing is audited.
 */
import { z } from 'zod';
import { DEFAULT_PAGE, cursorParam, historySummary, parseHistoryFilter, type FilterProblem, type HistoryFilter, type HistorySettings, type HistorySummary } from '../history/index.js';
import { LOGIN_RESULTS, MAX_HISTORY_PAGE, type LoginRecord } from '../store/index.js';
import type { ConsoleDeps } from './context.js';
import { sendHtml, sendJson } from './http-io.js';
import { apiError, authErrors, json, problemResponse, ref, registry, who, type ConsoleFeature } from './kit.js';
import { listBansInForce, type BanView } from './service.js';
import { dashboardPage } from './views/dashboard.js';
import { historyPage } from './views/history.js';

const DEFAULT_SETTINGS: HistorySettings = { enabled: true, retentionDays: 30 };

const LoginEntry = z
  .object({
    id: z.number().int(),
    at: z.string().describe('when Postern decided (ISO-8601 UTC)'),
    login: z.string().describe('the login as the client sent it (control characters escaped); empty when the request could not be read'),
    mailbox: z.string().nullable().describe('the canonical mailbox address, when one was identified'),
    clientIp: z.string(),
    protocol: z.enum(['imap', 'pop3', 'smtp']),
    method: z.string().describe('Auth-Method as nginx sent it: plain (also for AUTH LOGIN and USER/PASS), apop, cram-md5, external'),
    result: z.enum(LOGIN_RESULTS).describe('ok; fail: the client was refused; tempfail: a temporary failure (Postern or its surroundings, or a ban)'),
    reason: z.string().describe('the stable reason code, as in the decision log (e.g. bad-credentials, unknown-user, banned)'),
    cache: z.enum(['hit', 'stale']).nullable().describe('hit: answered from the auth cache; stale: from the cache while the directory was unavailable'),
    appPassword: z.string().nullable().describe('the label of the app password used, never the password'),
  })
  .register(registry, { id: 'LoginEntry' });
z.object({
  entries: z.array(LoginEntry).describe('newest first'),
  next: z.string().nullable().describe('pass as `before` for the next (older) page; null on the last page'),
}).register(registry, { id: 'LoginHistoryPage' });
const failures = { failures: z.number().int().describe('failed logins (result fail) in the 24 hours'), lastAt: z.string().describe('the latest of them') };
// Without the bans: the path's answer adds them as a list of the registered Ban (api.ts).
z.object({
  since: z.string().describe('the first instant counted: the start of the UTC hour 23 hours before the current one'),
  until: z.string().describe('the end of the current UTC hour'),
  hours: z.array(z.object({ hour: z.string(), ok: z.number().int(), fail: z.number().int(), tempfail: z.number().int() })).describe('24 hourly buckets, oldest first; the last is the current hour so far'),
  totals: z.object({ ok: z.number().int(), fail: z.number().int(), tempfail: z.number().int(), total: z.number().int(), failureRate: z.number().describe('fail / total; 0 when there was no login') }),
  topIps: z.array(z.object({ ip: z.string(), ...failures })).describe('client IPs with the most failed logins, at most 10'),
  topAccounts: z.array(z.object({ account: z.string(), ...failures })).describe('accounts (the mailbox, else the login as sent) with the most failed logins, at most 10'),
  history: z.object({ enabled: z.boolean(), retentionDays: z.number().int() }).describe('the [history] settings'),
}).register(registry, { id: 'DashboardFigures' });
const dashboardAnswer = {
  allOf: [ref('DashboardFigures'), { type: 'object', properties: { bans: { type: 'array', items: ref('Ban'), description: 'the bans in force now, newest first' } }, required: ['bans'] }],
};

export interface HistorySearch {
  filter: HistoryFilter;
  /** Set when the filters are invalid: nothing was searched. */
  problems: FilterProblem[];
  entries: LoginRecord[];
  /** The `before` of the next (older) page. */
  next: string | null;
}

/** The history matching the query parameters (see src/history/filter.ts), one page of it. */
export async function searchHistory(deps: ConsoleDeps, params: URLSearchParams): Promise<HistorySearch> {
  const parsed = parseHistoryFilter(params, { defaultLimit: DEFAULT_PAGE });
  if (!parsed.ok) return { filter: parsed.filter, problems: parsed.problems, entries: [], next: null };
  const page = await deps.store.listLogins(parsed.query);
  return { filter: parsed.filter, problems: [], entries: page.entries, next: page.next ? cursorParam(page.next) : null };
}

export interface DashboardView extends Omit<HistorySummary, 'topIps' | 'topAccounts'> {
  topIps: Array<{ ip: string; failures: number; lastAt: string }>;
  topAccounts: Array<{ account: string; failures: number; lastAt: string }>;
  bans: BanView[];
  history: HistorySettings;
}

export async function loadDashboard(deps: ConsoleDeps, now: Date): Promise<DashboardView> {
  const [summary, bans] = await Promise.all([historySummary(deps.store, now), listBansInForce(deps.store)]);
  return {
    ...summary,
    topIps: summary.topIps.map((x) => ({ ip: x.subject, failures: x.failures, lastAt: x.lastAt })),
    topAccounts: summary.topAccounts.map((x) => ({ account: x.subject, failures: x.failures, lastAt: x.lastAt })),
    bans,
    history: deps.history ?? DEFAULT_SETTINGS,
  };
}

const q = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }) => ({ name, in: 'query', required: false, schema, description });

export const historyFeature: ConsoleFeature = {
  pages: [
    {
      method: 'GET',
      path: /^\/dashboard$/,
      run: async (ctx, deps) => sendHtml(ctx.res, 200, dashboardPage(ctx.settings, who(ctx), await loadDashboard(deps, ctx.now))),
    },
    {
      method: 'GET',
      path: /^\/history$/,
      run: async (ctx, deps) => {
        const found = await searchHistory(deps, ctx.query);
        sendHtml(ctx.res, found.problems.length > 0 ? 400 : 200, historyPage(ctx.settings, who(ctx), found, { paged: ctx.query.has('before'), limit: ctx.query.get('limit'), settings: deps.history ?? DEFAULT_SETTINGS }));
      },
    },
  ],
  api: [
    {
      method: 'GET',
      path: /^\/api\/v1\/history$/,
      run: async (ctx, deps) => {
        const found = await searchHistory(deps, ctx.query);
        const first = found.problems[0];
        if (first) return apiError(ctx, 400, 'invalid-filter', found.problems.map((p) => `${p.param}: ${p.message}`).join('; '));
        sendJson(ctx.res, 200, { entries: found.entries, next: found.next });
      },
    },
    { method: 'GET', path: /^\/api\/v1\/dashboard$/, run: async (ctx, deps) => sendJson(ctx.res, 200, await loadDashboard(deps, ctx.now)) },
  ],
  paths: {
    '/history': {
      get: {
        summary: 'The login history, newest first, filtered (the console\'s history page)',
        parameters: [
          q('account', 'the login as sent or the mailbox; see match'),
          q('match', '`contains` (default; case-insensitive for ASCII) or `exact`', { type: 'string', enum: ['contains', 'exact'] }),
          q('ip', 'a client IP address or a CIDR network (192.0.2.0/24, 2001:db8::/48)'),
          q('protocol', 'imap, pop3 or smtp', { type: 'string', enum: ['imap', 'pop3', 'smtp'] }),
          q('result', 'ok, fail or tempfail', { type: 'string', enum: [...LOGIN_RESULTS] }),
          q('since', 'ISO-8601 date or date-time, UTC unless it names a zone; entries at or after it'),
          q('until', 'ISO-8601 date or date-time; entries before it'),
          q('before', 'the `next` of the previous page'),
          q('limit', `entries per page, 1 to ${MAX_HISTORY_PAGE} (default ${DEFAULT_PAGE})`, { type: 'integer', minimum: 1, maximum: MAX_HISTORY_PAGE }),
        ],
        responses: {
          '200': { description: 'one page', content: json(ref('LoginHistoryPage')) },
          '400': problemResponse('`invalid-filter`: the message names each parameter that is wrong and what it expects'),
          ...authErrors,
        },
      },
    },
    '/dashboard': {
      get: {
        summary: 'The dashboard\'s figures: logins per hour over the last 24 hours, top failing IPs and accounts, bans in force',
        responses: { '200': { description: 'as the console\'s dashboard shows them', content: json(dashboardAnswer) }, ...authErrors },
      },
    },
  },
};
