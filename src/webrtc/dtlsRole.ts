import { RTCDtlsTransport, type RTCPeerConnection } from 'werift';

type DtlsRole = RTCDtlsTransport['role'];

/**
 * Browsers, aiortc and GStreamer offer `a=setup:actpass`, and werift answers `a=setup:active`:
 * the server becomes the DTLS client, so its handshake can only start once its own ICE agent
 * (the controlled one, which learns of the nomination last) is connected, and then depends on
 * the client's DTLS stack keeping a ClientHello that arrives before it is ready (werift 0.25.2
 * itself did not, and waited 100 ms before every handshake instead).
 *
 * Answering `a=setup:passive` (RFC 8842 allows either) lets the client lead: it sends its
 * ClientHello as soon as its ICE agent has nominated a pair, and the server, which keeps DTLS
 * records that arrive before its own DTLS socket exists (patches/werift+0.25.2+007+dtls-early-handshake-records.patch), answers
 * at once. werift keeps a role set before createAnswer(), so this runs between
 * setRemoteDescription() and createAnswer().
 *
 * Without that patch (an install with --ignore-scripts) a ClientHello arriving early would be
 * dropped and only its retransmission (0.5-1 s later) answered, so the answer is then left to
 * werift.
 *
 * Not a werift patch: werift's own answer (active) is allowed too, so this is the server's
 * choice, not a werift defect; `role` is werift's public field, and the offered role (which
 * werift keeps private) is only read.
 */
export function answerAsDtlsServer(pc: RTCPeerConnection): void {
  if (!keepsEarlyDtlsRecords()) return;
  for (const transport of pc.dtlsTransports) {
    if (transport.role !== 'auto' || transport.state !== 'new') continue;
    transport.role = roleAnswering(offeredRole(transport));
  }
}

/** Our role for the role an offer asked for: `auto` (actpass) and `client` make us the server. */
export function roleAnswering(offered: DtlsRole | undefined): DtlsRole {
  return offered === 'server' ? 'client' : 'server';
}

/** Whether this werift keeps DTLS records that arrive before its DTLS socket exists. */
export function keepsEarlyDtlsRecords(): boolean {
  return typeof (RTCDtlsTransport.prototype as unknown as Record<string, unknown>).takeEarlyHandshakeRecords === 'function';
}

/** The role the remote description asked for (werift keeps it private on the transport). */
function offeredRole(transport: RTCDtlsTransport): DtlsRole | undefined {
  return (transport as unknown as { remoteParameters?: { role: DtlsRole } }).remoteParameters?.role;
}
