/**
 * The auth_http codec's public surface: bytes in, AuthRequest out; AuthDecision in, bytes out.
 * Pure (no sockets, no clock). Other folders import from here only.
 */
export * from './types.js';
export { findHeadEnd, parseHead, getHeader, getHeaderAll, type RawHead, type HeadErrorCode } from './http-head.js';
export { unescapeMailAuth, escapeMailAuth, type EscapeErrorCode } from './escape.js';
export { parseAuthRequest, type RequestErrorCode } from './request.js';
export {
  encodeReply,
  encodeReplyChecked,
  tempFailReply,
  forbiddenReply,
  MAX_REPLY_BYTES,
  MAX_WAIT_SECONDS,
  TEMP_FAIL_STATUS,
  TEMP_FAIL_SMTP_CODE,
  type CheckedReply,
} from './reply.js';
