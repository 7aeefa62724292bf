/**
 * Client-facing SASL as nginx's mail proxy does it (nginx-auth-http.md §4.3): mechanism
 * selection, the lenient base64, PLAIN, LOGIN, CRAM-MD5 with nginx's salt, EXTERNAL, plus
 * Postern's OAUTHBEARER and XOAUTH2. Pure decoders over one client line at a time: the protocol
 * state machines (IMAP, POP3, SMTP) own prompting, line reading and limits.
 */
export * from './types.js';
export { decodeBase64Nginx, encodeBase64 } from './base64.js';
export { parseAuthCommand, type AuthCommand, type AuthCommandErrorCode, type AuthCommandOptions, type SaslMechanism } from './mechanism.js';
export { decodePlain } from './plain.js';
export { decodeLoginUsername, decodeLoginPassword, LOGIN_USERNAME_CHALLENGE, LOGIN_PASSWORD_CHALLENGE } from './login.js';
export { decodeExternal } from './external.js';
export { cramMd5Challenge, decodeCramMd5Response, type CramMd5Response } from './cram-md5.js';
export { formatSalt, type SaltInputs } from './salt.js';
export { challengeLine, firstChallenge } from './challenge.js';
export { decodeOauthBearer, bearerToken, B64TOKEN, type BearerLogin } from './oauthbearer.js';
export { decodeXoauth2 } from './xoauth2.js';
