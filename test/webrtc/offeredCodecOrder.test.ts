import { MediaStreamTrack } from 'werift';
import { answerInOfferedCodecOrder, offeredVideoCodecs } from '../../src/webrtc/offeredCodecOrder';
import { createPeerConnection, type PeerConnectionOptions } from '../../src/webrtc/peerConnectionFactory';
import type { VideoCodecName } from '../../src/webrtc/negotiatedCodecs';

const LOOPBACK: PeerConnectionOptions = { iceServers: [], additionalHostAddresses: [], interfaceAddress: '127.0.0.1' };

/** The video codec names of an SDP's first video m-line, in order. */
function firstVideoOrder(sdp: string): string[] {
  return [...offeredVideoCodecs(sdp).values()][0] ?? [];
}

/** An offer from a werift peer that ranks its video codecs as `offered`; the answer of one configured with `answering`. */
async function answerTo(offered: VideoCodecName[], answering: VideoCodecName[], followOffer: boolean): Promise<string[]> {
  const offerer = createPeerConnection({ ...LOOPBACK, videoCodecs: offered });
  const answerer = createPeerConnection({ ...LOOPBACK, videoCodecs: answering });
  try {
    offerer.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
    const offer = await offerer.createOffer();
    await answerer.setRemoteDescription(offer);
    if (followOffer) answerInOfferedCodecOrder(answerer, offer.sdp);
    const answer = await answerer.createAnswer();
    return firstVideoOrder(answer.sdp);
  } finally {
    await Promise.all([offerer.close(), answerer.close()]);
  }
}

describe('offeredVideoCodecs', () => {
  it('reads each video m-section by mid, codecs in payload type order, without repeats', () => {
    const sdp = [
      'v=0',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'a=mid:0',
      'a=rtpmap:111 opus/48000/2',
      'm=video 9 UDP/TLS/RTP/SAVPF 98 96 100 102',
      'a=mid:1',
      'a=rtpmap:96 VP8/90000',
      'a=rtpmap:98 VP9/90000',
      'a=rtpmap:100 VP9/90000',
      'a=rtpmap:102 H264/90000',
      '',
    ].join('\r\n');
    expect(offeredVideoCodecs(sdp)).toEqual(new Map([['1', ['VP9', 'VP8', 'H264']]]));
  });
});

describe('answerInOfferedCodecOrder', () => {
  it("werift alone answers in its own order: an offer preferring VP9 would get VP8 first", async () => {
    expect(await answerTo(['VP9', 'VP8'], ['VP8', 'VP9', 'H264'], false)).toEqual(['VP8', 'VP9']);
  });

  it("answers in the offerer's order, so the sender uses the codec it prefers", async () => {
    expect(await answerTo(['VP9', 'VP8'], ['VP8', 'VP9', 'H264'], true)).toEqual(['VP9', 'VP8']);
    expect(await answerTo(['H264', 'VP8', 'VP9'], ['VP8', 'VP9', 'H264'], true)).toEqual(['H264', 'VP8', 'VP9']);
  });

  it('answers only codecs both sides have', async () => {
    expect(await answerTo(['VP9', 'H264'], ['VP8', 'H264'], true)).toEqual(['H264']);
  });
});
