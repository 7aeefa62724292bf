/**
 * The shape of a decoded PROXY protocol header (versions 1 and 2, haproxy's
 * doc/proxy-protocol.txt, cited below as "spec §n") and of the decoder's answers. Nothing here
 * touches a socket.
 */

export interface IpEndpoint {
  /** IPv4 dotted-decimal, or IPv6 compressed lower-case (IPv4-mapped as `::ffff:a.b.c.d`). */
  address: string;
  port: number;
}

export interface UnixEndpoint {
  /** The socket path up to its first NUL byte, as UTF-8. */
  path: string;
}

/** `unspec`: the header gives no usable addresses (v1 UNKNOWN, v2 LOCAL or AF_UNSPEC); use the connection's own. */
export type ProxyAddresses =
  | { family: 'ipv4' | 'ipv6'; source: IpEndpoint; destination: IpEndpoint }
  | { family: 'unix'; source: UnixEndpoint; destination: UnixEndpoint }
  | { family: 'unspec' };

export interface Tlv {
  type: number;
  value: Buffer;
}

/** PP2_TYPE_SSL (spec §2.2.6). */
export interface TlsInfo {
  /** PP2_CLIENT_* bits: 0x01 TLS, 0x02 certificate on this connection, 0x04 certificate in this session. */
  client: number;
  /** The `verify` field was zero: the client presented a certificate and it was verified. */
  verified: boolean;
  version?: string;
  cn?: string;
  cipher?: string;
  sigAlg?: string;
  keyAlg?: string;
}

/** The registered TLVs decoded (spec §2.2.1-2.2.7); the first of each type counts. */
export interface TlvInfo {
  alpn?: string;
  /** The host name the client asked for (TLS SNI). */
  authority?: string;
  uniqueId?: Buffer;
  tls?: TlsInfo;
  netns?: string;
}

export type ProxyHeader = ProxyAddresses & {
  version: 1 | 2;
  /** `local`: the proxy's own connection (a health check); use the connection's own addresses. */
  command: 'proxy' | 'local';
  transport: 'stream' | 'dgram' | 'unspec';
  /** Every TLV as sent, in order (v2 only). */
  tlvs: Tlv[];
  info: TlvInfo;
};

export type ProxyErrorCode =
  | 'bad-signature'
  | 'too-long'
  | 'bad-syntax'
  | 'unsupported-family'
  | 'bad-address'
  | 'bad-port'
  | 'bad-version'
  | 'bad-command'
  | 'truncated'
  | 'bad-tlv'
  | 'bad-checksum';

export interface ProxyError {
  code: ProxyErrorCode;
  detail: string;
}

export type ProxyDecodeResult =
  | { status: 'complete'; header: ProxyHeader; consumed: number }
  | { status: 'need-more' }
  | { status: 'error'; error: ProxyError };
