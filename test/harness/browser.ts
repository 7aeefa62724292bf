// test/harness/browser.ts
// A real browser for the console tests: playwright-core driving Debian's /usr/bin/chromium
// (package `chromium`, installed by scripts/install-test-deps.sh), headless, with
// --no-sandbox because the tests run as root. Screenshots go to test-artifacts/ (git-ignored).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { projectRoot } from './clients.js';

export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** test-artifacts/<folder>/<name>.png under the project, its folder created. */
export function artifactPath(folder: string, name: string): string {
  const dir = join(projectRoot, 'test-artifacts', folder);
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.png`);
}
