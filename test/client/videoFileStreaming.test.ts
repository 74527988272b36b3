/**
 * The client streaming real encoded video from the fixture files to the real server: the
 * server answers with the file's codec and counts every frame.
 */
import { join } from 'node:path';
import { StreamingClient } from '../../client/streamingClient';
import { finishTestServer, serverConnection, startTestServer, type TestServer } from '../helpers/testServer';

const FIXTURES = join(__dirname, '..', 'fixtures', 'video');
const INACTIVITY_MS = 300;
const fastEnding = { videoInactivityMs: INACTIVITY_MS, audioInactivityMs: INACTIVITY_MS };

let server: TestServer | undefined;

afterEach(async () => {
  await finishTestServer(server);
  server = undefined;
});

/** The `a=rtpmap` codec names of the SDP's video section. */
function videoCodecNames(sdp: string): string[] {
  const section = sdp.split(/\r?\n(?=m=)/).find((part) => part.startsWith('m=video'));
  return [...(section ?? '').matchAll(/^a=rtpmap:\d+ ([^/\s]+)\//gm)].map((match) => match[1]!);
}

describe.each([
  ['VP8', 'vp8_red_square.ivf', ''],
  ['VP9', 'vp9_red_square.ivf', ''],
  ['H264', 'h264_red_square.h264', 'profile-level-id=42c01f'],
  ['H264', 'h264_main_red_square.h264', 'profile-level-id=4d401f'],
  ['H264', 'h264_high_red_square.h264', 'profile-level-id=64001f'],
  ['AV1', 'av1_red_square.ivf', ''],
])('streaming a %s file (%s)', (codec, name, fmtp) => {
  it('offers only the file\'s codec (H264: its profile-level-id), the server answers with it and receives all 30 frames', async () => {
    server = await startTestServer({ ...fastEnding, mediaWorkers: 0 });
    const { client, peer } = await server.connect({ audio: false, videoFile: join(FIXTURES, name) });

    expect(videoCodecNames(client.peerConnection.localDescription!.sdp)).toEqual([codec]);
    expect(videoCodecNames(client.peerConnection.remoteDescription!.sdp)).toEqual([codec]);
    expect(client.videoCodec?.mimeType).toBe(`video/${codec}`);
    expect(client.videoCodec?.parameters ?? '').toContain(fmtp);
    const serverSide = serverConnection(peer).getTransceivers().find((transceiver) => transceiver.kind === 'video');
    expect(serverSide?.codecs.map((c) => c.mimeType)).toEqual([`video/${codec}`]);
    expect(serverSide?.codecs[0]?.payloadType).toBe(client.videoCodec?.payloadType);

    await client.sendVideoFrames(30, { intervalMs: 10 });
    expect(client.videoFramesSent).toBe(30);
    // Counted from the summary, after the track ended: a frame whose packets still wait in the
    // reorder buffer for a late (NACKed) packet is flushed and counted by then, whereas a live
    // count may lag behind it on a loaded machine.
    client.stopVideo();
    const closed = await client.waitForStreamClosed();
    await peer.released;
    const { total_frames_received, total_frames_processed } = closed.summary;
    expect({ total_frames_received, sent: client.videoFramesSent }).toEqual({ total_frames_received: 30, sent: 30 });
    expect(total_frames_processed).toBeGreaterThan(0);
  });
});

describe('bad video files', () => {
  it('fail connect() before anything is opened', async () => {
    const url = 'http://127.0.0.1:9'; // never contacted
    await expect(StreamingClient.connect({ url, videoFile: join(FIXTURES, 'README.md') })).rejects.toThrow(
      /README\.md: unknown video file type/,
    );
    await expect(StreamingClient.connect({ url, videoFile: join(FIXTURES, 'missing.h264') })).rejects.toThrow(
      /Cannot read the video file .*missing\.h264/,
    );
    await expect(
      StreamingClient.connect({ url, video: false, videoFile: join(FIXTURES, 'vp8_grey.ivf') }),
    ).rejects.toThrow('A video file was given but video is off');
  });
});
