/**
 * endDtlsHandshakes also ends a handshake that starts after it was called: a connection whose
 * ICE connects while it is closing starts DTLS during pc.close().
 */
import type { RTCPeerConnection } from 'werift';
import { endDtlsHandshakes } from '../../src/webrtc/dtlsHandshake';
import { closePeers, negotiatePeers } from '../helpers/loopbackPeers';
import { eventually } from '../helpers/testServer';

function timers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

function flightOf(pc: RTCPeerConnection): number | undefined {
  return pc.dtlsTransports[0]?.dtls?.dtls.flight;
}

describe('endDtlsHandshakes', () => {
  it('pins the flight counter of a DTLS handshake that starts after the call, so its retransmissions stop', async () => {
    const before = timers();
    // werift's own answer (a=setup:active): the answerer is the DTLS client and starts flight 1.
    const { offerer, answerer } = await negotiatePeers({ beforeAnswer: endDtlsHandshakes });
    const started = await eventually(() => answerer.dtlsTransports[0]?.dtls !== undefined, 5000, 'the answerer’s DTLS start');
    expect(started).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(flightOf(answerer)).toBe(Number.MAX_SAFE_INTEGER);
    await closePeers(offerer, answerer);
    await eventually(() => timers() <= before, 3000, 'no handshake timer left');
  });
});
