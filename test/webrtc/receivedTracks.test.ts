import { createPeerConnection } from '../../src/webrtc/peerConnectionFactory';
import { receivedTrackCounts } from '../../src/webrtc/receivedTracks';

/** An offer from its session-level attributes and its m-sections, each `[m-line, ...attributes]`. */
function offer(sessionAttributes: string[], ...sections: string[][]): string {
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', ...sessionAttributes, ...sections.flat(), ''].join('\r\n');
}

const video = (port: number, ...attributes: string[]) => [`m=video ${port} UDP/TLS/RTP/SAVPF 96`, 'a=rtpmap:96 VP8/90000', ...attributes];
const audio = (port: number, ...attributes: string[]) => [`m=audio ${port} UDP/TLS/RTP/SAVPF 111`, 'a=rtpmap:111 opus/48000/2', ...attributes];

describe('receivedTrackCounts', () => {
  it('counts sendonly and sendrecv sections of each kind', () => {
    const sdp = offer([], video(9, 'a=sendonly'), video(9, 'a=sendrecv'), audio(9, 'a=sendonly'));
    expect(receivedTrackCounts(sdp)).toEqual({ video: 2, audio: 1 });
  });

  it('does not count inactive or recvonly sections, nor rejected or stopped ones (port 0)', () => {
    const sdp = offer([], video(9, 'a=inactive'), video(9, 'a=recvonly'), video(0, 'a=sendonly'), audio(0, 'a=sendrecv'), audio(9, 'a=sendonly'));
    expect(receivedTrackCounts(sdp)).toEqual({ video: 0, audio: 1 });
  });

  it('counts a section without a direction of its own as sendrecv (RFC 3264), whatever the session level says (werift reads none there)', () => {
    expect(receivedTrackCounts(offer([], video(9), audio(9)))).toEqual({ video: 1, audio: 1 });
    expect(receivedTrackCounts(offer(['a=recvonly'], video(9), video(9, 'a=sendonly')))).toEqual({ video: 2, audio: 0 });
    expect(receivedTrackCounts(offer(['a=inactive'], video(9, 'a=recvonly')))).toEqual({ video: 0, audio: 0 });
  });

  it('counts bundle-only sections of the BUNDLE group on port 0, as GStreamer offers them, but not one outside it', () => {
    const bundled = offer(
      ['a=group:BUNDLE video0 video1 audio2'],
      [...video(49203, 'a=sendonly', 'a=mid:video0')],
      [...video(0, 'a=bundle-only', 'a=sendonly', 'a=mid:video1')],
      [...audio(0, 'a=bundle-only', 'a=sendonly', 'a=mid:audio2')],
      [...audio(0, 'a=bundle-only', 'a=sendonly', 'a=mid:audio3')],
    );
    expect(receivedTrackCounts(bundled)).toEqual({ video: 2, audio: 1 });
  });

  it('ignores other m-sections (application) and reads LF-only SDP', () => {
    const sdp = offer([], video(9, 'a=sendonly'), ['m=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'a=sctp-port:5000']).replace(/\r\n/g, '\n');
    expect(receivedTrackCounts(sdp)).toEqual({ video: 1, audio: 0 });
  });

  it("counts werift's own offer: three sendonly video transceivers, one recvonly audio", async () => {
    const pc = createPeerConnection({ iceServers: [], additionalHostAddresses: [], interfaceAddress: '127.0.0.1' });
    for (let index = 0; index < 3; index += 1) pc.addTransceiver('video', { direction: 'sendonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const { sdp } = await pc.createOffer();
    await pc.close();
    expect(receivedTrackCounts(sdp)).toEqual({ video: 3, audio: 0 });
  });
});
