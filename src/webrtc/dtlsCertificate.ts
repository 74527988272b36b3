import { RTCDtlsTransport } from 'werift';

/**
 * werift makes one ECDSA P-256 certificate per process, when the first connection needs it, and
 * gives every later connection the same one (`RTCDtlsTransport.SetupCertificate`), so there is
 * no per-session cost to cache away. Making it before the server listens keeps those 30-45 ms
 * off the first client's setup.
 */
export async function prepareDtlsCertificate(): Promise<void> {
  await RTCDtlsTransport.SetupCertificate();
}
