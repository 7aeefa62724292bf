/**
 * The console's features beyond its core (sign-in, two-factor, sessions, diagnostics): each
 * module declares its pages, API routes and OpenAPI paths (kit.ts ConsoleFeature). Add a
 * feature by adding its module here.
 */
import type { ConsoleFeature } from './kit.js';
import { appPasswordsFeature } from './app-passwords.js';
import { domainsFeature } from './domains.js';
import { aliasesFeature } from './aliases.js';
import { routesFeature } from './routes.js';
import { tokensFeature } from './tokens.js';
import { mailboxesFeature } from './mailboxes.js';
import { backendsFeature } from './backends.js';
import { historyFeature } from './history.js';

export const FEATURES: readonly ConsoleFeature[] = [
  appPasswordsFeature,
  domainsFeature,
  aliasesFeature,
  routesFeature,
  tokensFeature,
  mailboxesFeature,
  backendsFeature,
  historyFeature,
];
