/**
 * The admin console and API over HTTP: the listener (with the optional PROXY protocol), the
 * request pipeline, the pages and the REST API. The logic it applies lives in src/admin/ and
 * src/http/; this folder is the shell around them. Other folders import from here only.
 */
import type { Logger } from '../log/logger.js';
import type { AddressInfo } from 'node:net';
import { createConsoleApp } from './app.js';
import type { ConsoleDeps } from './context.js';
import { createListener } from './listener.js';

export type { ConsoleDeps } from './context.js';
export type { ConsoleStore } from './service.js';

export interface ConsoleServer {
  listen(host: string, port: number): Promise<AddressInfo>;
  close(): Promise<void>;
}

export function createConsoleServer(deps: ConsoleDeps & { log: Logger }): ConsoleServer {
  return createListener(createConsoleApp(deps), { proxyProtocol: deps.settings.proxyProtocol, trusted: deps.settings.trusted, log: deps.log });
}
