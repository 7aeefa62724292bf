export { certificateFacts, pem, serialText, type CertificateFacts, type PeerCertificate, type VerifyResult } from './facts.js';
export { rfc2253 } from './dn.js';
export { certificateVerdict, refusalLine, VERIFY_CLIENT_MODES, type CertificateVerdict, type VerifyClient } from './verdict.js';
