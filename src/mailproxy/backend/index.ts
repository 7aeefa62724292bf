export { imapBackendLogin, type ImapLogin } from './imap.js';
export { pop3BackendLogin } from './pop3.js';
export { smtpBackendSetup, type SmtpDialogue, type SmtpSetup } from './smtp.js';
export type { BackendDialogue, BackendStep } from './types.js';
export { xtext } from './xtext.js';
