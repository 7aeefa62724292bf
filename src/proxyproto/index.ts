/**
 * The PROXY protocol (haproxy's doc/proxy-protocol.txt, versions 1 and 2): an incremental
 * decoder for the start of a byte stream, for listeners behind load balancers, and encoders for
 * sending the header to backends. Pure: bytes in, typed results out; which peers may send a
 * header is the listener's decision. Other folders import from here only.
 */
export * from './types.js';
export { decodeProxyHeader, DEFAULT_MAX_V2_BYTES, type DecodeOptions } from './decode.js';
export { encodeV1, V1_MAX_BYTES, type EncodeErrorCode } from './v1.js';
export { encodeV2, V2_SIGNATURE, V2_MAX_BYTES, type V2EncodeInput } from './v2.js';
export { PP2_TYPE, PP2_SUBTYPE_SSL } from './tlv.js';
export { crc32c } from './crc32c.js';
