import { RTCCertificate, RTCDtlsTransport } from 'werift';

/** A DTLS certificate as plain data, to hand to another thread. */
export interface DtlsCertificatePems {
  privateKeyPem: string;
  certPem: string;
  signatureHash: RTCCertificate['signatureHash'];
}

/**
 * werift makes one ECDSA P-256 certificate per process, when the first connection needs it, and
 * gives every later connection the same one (`RTCDtlsTransport.SetupCertificate`), so there is
 * no per-session cost to cache away. Making it before the server listens keeps those 30-45 ms
 * off the first client's setup. Returns it as plain data for the media workers.
 */
export async function prepareDtlsCertificate(): Promise<DtlsCertificatePems> {
  const certificate = await RTCDtlsTransport.SetupCertificate();
  return { privateKeyPem: certificate.privateKey, certPem: certificate.certPem, signatureHash: certificate.signatureHash };
}

/**
 * A media worker's werift is a module instance of its own (one per thread), which would make a
 * certificate of its own: it takes the main thread's instead, so the server presents one
 * certificate whichever thread holds a session. Set before the worker's first connection.
 */
export function useDtlsCertificate({ privateKeyPem, certPem, signatureHash }: DtlsCertificatePems): void {
  RTCDtlsTransport.localCertificate = new RTCCertificate(privateKeyPem, certPem, signatureHash);
}
