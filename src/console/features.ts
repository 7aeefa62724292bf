/**
 * The console's features beyond its core (sign-in, two-factor, sessions, diagnostics): each
 * module declares its pages, API routes and OpenAPI paths (kit.ts ConsoleFeature). Add a
 * feature by adding its module here.
 */
import type { ConsoleFeature } from './kit.js';

export const FEATURES: readonly ConsoleFeature[] = [];
