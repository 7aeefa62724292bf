/**
 * The auth_http client: what Postern's own mail proxy sends to an auth server and how it reads
 * the answer, byte for byte as nginx 1.22 does (nginx-auth-http.md §1, §2), so any auth server
 * written for nginx works behind it. Pure: bytes in, bytes or typed outcomes out; the proxy
 * owns sockets and timers (auth_http_timeout is its total deadline, §1.1).
 */
export * from './types.js';
export { parseAuthHttpUrl, type AuthHttpUrl, type AuthHttpPeer, type UrlErrorCode } from './url.js';
export { parseNginxAddr, type IpLiteral } from './address.js';
export { encodeAuthRequest, type RequestEncodeErrorCode } from './request.js';
export { authMethodFor, type ClientLogin } from './method.js';
export { scanReplyHead, REPLY_BUFFER_BYTES, type ReplyHeader, type ReplyHeadScan } from './reply-head.js';
export {
  readAuthReply,
  transportError,
  failureLine,
  internalErrorLine,
  DEFAULT_SMTP_ERROR_CODE,
  type AuthReply,
  type AuthReplyErrorCode,
  type ReplyContext,
} from './reply.js';
