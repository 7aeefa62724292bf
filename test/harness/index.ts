// test/harness/index.ts
// One import for the end-to-end test harness: real nginx, Dovecot, an SMTP sink and clients.

export * from './ports.js';
export * from './tmp.js';
export * from './processes.js';
export * from './supervise.js';
export * from './nginx.js';
export * from './dovecot.js';
export * from './smtp-sink.js';
export * from './clients.js';
export * from './certs.js';
