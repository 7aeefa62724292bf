export { imapBackendLogin, type ImapLogin } from './imap.js';
export { imapBackendBearer, type ImapBearerLogin } from './imap-bearer.js';
export { pop3BackendLogin } from './pop3.js';
export { pop3BackendBearer } from './pop3-bearer.js';
export { smtpBackendSetup, type SmtpDialogue, type SmtpSetup } from './smtp.js';
export type { BearerCredentials } from './bearer.js';
export type { BackendDialogue, BackendStep } from './types.js';
export { xtext } from './xtext.js';
