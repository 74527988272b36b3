/**
 * patches/werift+0.25.2+016+ice-no-default-stun.patch: werift's ICE agent fell back to a public
 * STUN server (stun.l.google.com) when the application configured none, so every session would
 * look up and contact a host the operator never chose. Now no STUN server configured means none.
 */
import type { RTCPeerConnection } from 'werift';
import { createPeerConnection, type PeerConnectionOptions } from '../../src/webrtc/peerConnectionFactory';
import { LOOPBACK } from '../helpers/loopbackPeers';

async function stunServersAfterOffer(options: PeerConnectionOptions): Promise<unknown[]> {
  const pc: RTCPeerConnection = createPeerConnection(options);
  try {
    pc.addTransceiver('video', { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    return pc.iceTransports.map((transport) => transport.connection.stunServer);
  } finally {
    await pc.close();
  }
}

describe('patch 016 ice-no-default-stun', () => {
  it('gathers with no STUN server when none is configured', async () => {
    const servers = await stunServersAfterOffer({ ...LOOPBACK, iceServers: [] });
    expect(servers.length).toBeGreaterThan(0);
    for (const server of servers) expect(server).toBeUndefined();
  });

  it('keeps the STUN server the operator configured', async () => {
    // Nothing listens on this loopback port: the binding request goes unanswered.
    const servers = await stunServersAfterOffer({ ...LOOPBACK, iceServers: [{ urls: 'stun:127.0.0.1:9' }] });
    expect(servers).toEqual(servers.map(() => ['127.0.0.1', 9]));
  });
});
