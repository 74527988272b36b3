/**
 * The codecs a server answers follow its decoders (DECODER): offers from real werift peers to
 * the real server. The wasm decoders take no AV1 nor H264 beyond constrained baseline; the
 * native ones take both. What the decoders take end to end: test/pipeline.test.ts.
 */
import { join } from 'node:path';
import { MediaStreamTrack } from 'werift';
import { deleteSession, postOffer } from '../../client/signaling';
import { StreamingClient } from '../../client/streamingClient';
import { offeredMedia } from '../../src/webrtc/offeredCodecOrder';
import { createPeerConnection } from '../../src/webrtc/peerConnectionFactory';
import { LOOPBACK } from '../helpers/loopbackPeers';
import { eventually, finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';

const FIXTURES = join(__dirname, '..', 'fixtures', 'video');

let server: TestServer | undefined;

afterEach(async () => {
  await finishTestServer(server);
  server = undefined;
});

/** The server's answer to a werift peer offering H264 of these profile-level-ids, in this order; the session is then ended. */
async function answerToH264Offer(profileLevelIds: string[]): Promise<{ offered: Map<string, string>; answered: Map<string, string> }> {
  const offerer = createPeerConnection({ ...LOOPBACK, videoCodecs: ['H264'], h264ProfileLevelIds: profileLevelIds });
  try {
    offerer.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
    // The offer alone: no candidates are gathered, nothing connects.
    const offer = await offerer.createOffer();
    const answer = await postOffer(server!.url, offer.sdp);
    await deleteSession(server!.url, answer.session_id);
    await eventually(() => server!.manager.count === 0, 5000, 'the session released');
    return { offered: h264Formats(offer.sdp), answered: h264Formats(answer.sdp) };
  } finally {
    await offerer.close();
  }
}

/** The video section's H264 formats: payload type to profile-level-id, in m-line order. */
function h264Formats(sdp: string): Map<string, string> {
  const video = offeredMedia(sdp).find((media) => media.kind === 'video')!;
  const formats = video.formats.filter((format) => format.name.toUpperCase() === 'H264');
  return new Map(formats.map((format) => [format.payloadType, /profile-level-id=(\w+)/.exec(format.fmtp)![1]!]));
}

const payloadTypeOf = (formats: Map<string, string>, profileLevelId: string) => [...formats].find(([, id]) => id === profileLevelId)![0];

describe('DECODER=wasm', () => {
  it.each([
    ['AV1', 'av1_red_square.ivf', 'AV1'],
    ['H264 high', 'h264_high_red_square.h264', 'H264 (high)'],
    ['H264 main', 'h264_main_red_square.h264', 'H264 (main)'],
  ])('a client offering only %s video gets 400 Unsupported codecs, naming what the server receives', async (_codec, file, offered) => {
    server = await startTestServer({ decoder: 'wasm' });
    const connecting = StreamingClient.connect({ url: server.url, interfaceAddress: '127.0.0.1', audio: false, videoFile: join(FIXTURES, file) });
    await expect(connecting).rejects.toMatchObject({
      status: 400,
      detail: `no offered codec can be received: the offer has video ${offered}; this server receives video VP8, VP9, H264 (constrained baseline); audio OPUS`,
    });
    expect(server.manager.count).toBe(0);
  });

  it('an offer of H264 high, then constrained baseline, is answered with constrained baseline alone', async () => {
    server = await startTestServer({ decoder: 'wasm' });
    const { offered, answered } = await answerToH264Offer(['64001f', '42e01f']);
    expect(answered).toEqual(new Map([[payloadTypeOf(offered, '42e01f'), '42e01f']]));
  });
});

describe('DECODER=native', () => {
  it('an offer of H264 high, then constrained baseline, is answered with high, the offerer\'s first choice', async () => {
    server = await startTestServer({ decoder: 'native' });
    const { offered, answered } = await answerToH264Offer(['64001f', '42e01f']);
    expect([...answered][0]).toEqual([payloadTypeOf(offered, '64001f'), '64001f']);
  });

  it('an offer of H264 main and High 4:4:4 (f4001f, not decoded) is answered with main', async () => {
    server = await startTestServer({ decoder: 'native' });
    const { offered, answered } = await answerToH264Offer(['f4001f', '4d001f']);
    expect(answered).toEqual(new Map([[payloadTypeOf(offered, '4d001f'), '4d001f']]));
  });

  it('a client streaming AV1 gets AV1 answered', async () => {
    server = await startTestServer({ decoder: 'native' });
    const { client } = await server.connect({ audio: false, videoFile: join(FIXTURES, 'av1_red_square.ivf') });
    expect(client.videoCodec?.mimeType).toBe('video/AV1');
    await client.close();
  });
});
