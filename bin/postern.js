#!/usr/bin/env node
// Entry point for the `postern` command: the compiled CLI lives in dist/ (built by `npm install`).
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/main.js')) {
    console.error('postern: not built yet. Run `npm install` (or `npm run build`) in the Postern folder first.');
    process.exit(1);
  }
  throw err;
});
