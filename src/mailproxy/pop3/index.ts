/**
 * POP3's client side before login (nginx-auth-http.md §4): the session the shell runs, and the
 * pieces it is built from.
 */
export { pop3Sessions, BEARER_LINE_LIMIT } from './session.js';
export { pop3CommandReader, POP3_COMMANDS, POP3_LINE_LIMIT, type Pop3CommandName, type Pop3CommandReader, type Pop3Input, type ReadMode } from './command-reader.js';
export { pop3Greeting, pop3Capa, pop3AuthList, type CapaVariant } from './replies.js';
