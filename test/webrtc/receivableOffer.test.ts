import { MediaStreamTrack, type RTCPeerConnection } from 'werift';
import { answerInOfferedCodecOrder, offeredMedia } from '../../src/webrtc/offeredCodecOrder';
import { createPeerConnection, type PeerConnectionOptions } from '../../src/webrtc/peerConnectionFactory';
import { withReceivableVideoFormats } from '../../src/webrtc/receivableOffer';
import { receivingOptions, type ReceivedVideo } from '../../src/webrtc/receivedVideo';

const LOOPBACK: PeerConnectionOptions = { iceServers: [], additionalHostAddresses: [], interfaceAddress: '127.0.0.1' };
const WASM: ReceivedVideo = { videoCodecs: ['VP8', 'VP9', 'H264'], h264Profiles: ['constrained baseline'] };
const NATIVE: ReceivedVideo = {
  videoCodecs: ['VP8', 'VP9', 'H264', 'AV1'],
  h264Profiles: ['constrained baseline', 'baseline', 'main', 'constrained high', 'high'],
};

/** The video section of Chromium 156's offer (Debian 12), as it offers to send. */
const CHROMIUM_VIDEO = [
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 107 108 109 114 115 116 117 39 40 45 46 98 99 100 101 118 119 120',
  'a=mid:1',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000',
  'a=rtcp-fb:102 nack',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:103 rtx/90000',
  'a=fmtp:103 apt=102',
  'a=rtpmap:104 H264/90000',
  'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
  'a=rtpmap:107 rtx/90000',
  'a=fmtp:107 apt=104',
  'a=rtpmap:108 H264/90000',
  'a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:109 rtx/90000',
  'a=fmtp:109 apt=108',
  'a=rtpmap:114 H264/90000',
  'a=fmtp:114 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
  'a=rtpmap:115 rtx/90000',
  'a=fmtp:115 apt=114',
  'a=rtpmap:116 H264/90000',
  'a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f',
  'a=rtpmap:117 rtx/90000',
  'a=fmtp:117 apt=116',
  'a=rtpmap:39 H264/90000',
  'a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f',
  'a=rtpmap:40 rtx/90000',
  'a=fmtp:40 apt=39',
  'a=rtpmap:45 AV1/90000',
  'a=fmtp:45 level-idx=5;profile=0;tier=0',
  'a=rtpmap:46 rtx/90000',
  'a=fmtp:46 apt=45',
  'a=rtpmap:98 VP9/90000',
  'a=fmtp:98 profile-id=0',
  'a=rtpmap:99 rtx/90000',
  'a=fmtp:99 apt=98',
  'a=rtpmap:100 VP9/90000',
  'a=fmtp:100 profile-id=2',
  'a=rtpmap:101 rtx/90000',
  'a=fmtp:101 apt=100',
  'a=rtpmap:118 red/90000',
  'a=rtpmap:119 rtx/90000',
  'a=fmtp:119 apt=118',
  'a=rtpmap:120 ulpfec/90000',
];
const CHROMIUM_OFFER = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:0', 'a=rtpmap:111 opus/48000/2', ...CHROMIUM_VIDEO, ''].join('\r\n');

const videoPayloadTypes = (sdp: string) => offeredMedia(sdp).find((media) => media.kind === 'video')!.formats.map((format) => format.payloadType);

describe('withReceivableVideoFormats', () => {
  it('wasm decoders: keeps VP8, VP9 profile 0 and H264 constrained baseline (packetization-mode 1), with their rtx; red and ulpfec stay', () => {
    const filtered = withReceivableVideoFormats(CHROMIUM_OFFER, WASM);
    expect(videoPayloadTypes(filtered)).toEqual(['96', '97', '108', '109', '98', '99', '118', '119', '120']);
    expect(filtered).not.toMatch(/^a=(rtpmap|fmtp|rtcp-fb):(102|103|104|107|114|115|116|117|39|40|45|46|100|101) /m);
    // The audio section and the lines of kept formats are as they were.
    expect(filtered).toContain('m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\nm=video');
    expect(filtered).toContain('a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\na=rtpmap:108 H264/90000');
    expect(filtered.endsWith('a=rtpmap:120 ulpfec/90000\r\n')).toBe(true);
  });

  it('native decoders: also H264 baseline and main, and AV1; never packetization-mode 0 nor VP9 profile 2', () => {
    const filtered = withReceivableVideoFormats(CHROMIUM_OFFER, NATIVE);
    expect(videoPayloadTypes(filtered)).toEqual(['96', '97', '102', '103', '108', '109', '116', '117', '45', '46', '98', '99', '118', '119', '120']);
  });

  it('leaves an offer with nothing to remove as it is', () => {
    const vp8Only = ['v=0', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=rtpmap:96 VP8/90000', ''].join('\n');
    expect(withReceivableVideoFormats(vp8Only, WASM)).toBe(vp8Only);
  });
});

/** A werift peer offering to send H264 of these profile-level-ids, in this order, plus Opus. */
async function h264Offer(profileLevelIds: string[]): Promise<{ offerer: RTCPeerConnection; sdp: string }> {
  const offerer = createPeerConnection({ ...LOOPBACK, videoCodecs: ['H264'], h264ProfileLevelIds: profileLevelIds });
  offerer.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
  offerer.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
  const offer = await offerer.createOffer();
  return { offerer, sdp: offer.sdp };
}

/** The answer of a werift peer configured for `received`'s H264 profiles to `offerSdp`, filtered or not. */
async function answer(offerSdp: string, received: ReceivedVideo, filter: boolean): Promise<string> {
  const answerer = createPeerConnection({ ...LOOPBACK, ...receivingOptions(received) });
  try {
    const sdp = filter ? withReceivableVideoFormats(offerSdp, received) : offerSdp;
    await answerer.setRemoteDescription({ type: 'offer', sdp });
    answerInOfferedCodecOrder(answerer, sdp);
    return (await answerer.createAnswer()).sdp;
  } finally {
    await answerer.close();
  }
}

const videoSection = (sdp: string) => sdp.split(/\r?\n(?=m=)/).find((section) => section.startsWith('m=video'))!;

describe('werift answering H264 offers', () => {
  it('alone, answers the first offered H264 whatever its profile: high, to a peer configured for constrained baseline', async () => {
    const { offerer, sdp } = await h264Offer(['64001f', '42e01f']);
    try {
      expect(videoSection(await answer(sdp, WASM, false))).toMatch(/^a=fmtp:\d+ profile-level-id=64001f;/m);
    } finally {
      await offerer.close();
    }
  });

  it('given the offer without the formats the decoders cannot take, answers constrained baseline', async () => {
    const { offerer, sdp } = await h264Offer(['64001f', '42e01f']);
    try {
      const offered = offeredMedia(sdp).find((media) => media.kind === 'video')!.formats;
      const baseline = offered.find((format) => format.fmtp.includes('profile-level-id=42e01f'))!.payloadType;
      const video = videoSection(await answer(sdp, WASM, true));
      expect(video).toMatch(new RegExp(`^m=video 9 UDP/TLS/RTP/SAVPF ${baseline}\r?$`, 'm'));
      expect(video).toMatch(new RegExp(`^a=fmtp:${baseline} profile-level-id=42e01f;packetization-mode=1;`, 'm'));
    } finally {
      await offerer.close();
    }
  });

  it('rejects a video section with no format left (port 0) and still answers the audio', async () => {
    const { offerer, sdp } = await h264Offer(['64001f']);
    try {
      expect(videoSection(withReceivableVideoFormats(sdp, WASM))).toMatch(/^m=video 0 UDP\/TLS\/RTP\/SAVPF \d+\r?$/m);
      const answerSdp = await answer(sdp, WASM, true);
      expect(videoSection(answerSdp)).toMatch(/^m=video 0 /);
      expect(answerSdp).toMatch(/^m=audio 9 UDP\/TLS\/RTP\/SAVPF \d+/m);
      expect(answerSdp).toMatch(/^a=rtpmap:\d+ opus\/48000\/2/im);
    } finally {
      await offerer.close();
    }
  });
});
