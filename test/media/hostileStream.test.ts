/**
 * Issue 23, findings 2 and 6, end to end: a werift peer publishes real VP8 over WHIP to the real
 * server (media workers, native decoders, colour-region detector) and slips in frames claiming
 * a 16383x16383 picture and a frame that never ends; the session drops them under their reasons,
 * goes on decoding the good frames, and ends with its summary.
 */
import { join } from 'node:path';
import { VideoRtpPacketizer } from '../../client/rtpPacketizers';
import { readVideoFile } from '../../client/videoFile';
import { inputLimits } from '../../src/limitsConfig';
import { availableDecoderBackends } from '../../src/media/decode/videoDecoders';
import { VP8_BOMB } from '../fixtures/video/hostileFrames';
import { eventually, expectNothingLeft, startTestServer, type TestServer } from '../helpers/testServer';
import { applyAnswer, createPublisher, postWhip, type WhipPublisher } from '../helpers/whipPublisher';

const FRAMES = readVideoFile(join(__dirname, '..', 'fixtures', 'video', 'vp8_red_square.ivf')).frames;
const MAX_FRAME_PACKETS = 64;

let server: TestServer;
let publisher: WhipPublisher | null = null;

beforeAll(async () => {
  server = await startTestServer({
    detector: 'colour-region',
    decoder: availableDecoderBackends()[0],
    limits: { ...inputLimits({}), maxFramePackets: MAX_FRAME_PACKETS },
  });
});

afterAll(async () => {
  await publisher?.pc.close();
  await expectNothingLeft(server);
  await server.close();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('drops a picture bomb and an endless frame, decodes the good frames around them, and ends with the summary', async () => {
  publisher = await createPublisher();
  const response = await postWhip(server.url, publisher.offerSdp);
  expect(response.status).toBe(201);
  const location = response.headers.get('location')!;
  const sessionId = location.slice('/whip/'.length);
  server.peers.push(server.manager.get(sessionId)!);
  await applyAnswer(publisher, await response.text());

  const { track, transceiver } = publisher.video;
  const packetizer = new VideoRtpPacketizer('VP8', () => transceiver.sender.codec?.payloadType ?? 96);
  const received = () => server.manager.view(sessionId)?.counters.frames_received ?? 0;
  // Each frame is handled (processed or dropped) before the next is sent, so that a loaded
  // machine's slower decoding drops nothing for lack of room (buffer_full): the counts are exact.
  const handled = (frames: number) =>
    eventually(() => {
      const counters = server.manager.view(sessionId)?.counters;
      return counters !== undefined && counters.frames_received >= frames && counters.frames_processed + counters.frames_dropped === counters.frames_received;
    }, 10_000, `frame ${frames} to be handled`);
  let sent = 0;
  const send = async (data: Buffer, send = packetizer) => {
    for (const packet of send.packetize(data, 3000)) track.writeRtp(packet);
    await handled(++sent);
  };

  for (const frame of FRAMES.slice(0, 10)) await send(frame.data);
  for (let i = 0; i < 3; i++) await send(VP8_BOMB);
  for (const frame of FRAMES.slice(30, 45)) await send(frame.data);
  // The endless frame: one timestamp, no marker bit, ten times MAX_FRAME_PACKETS.
  const endless = packetizer.packetize(Buffer.alloc(900, 0x5a), 3000)[0]!;
  for (let i = 0; i < 10 * MAX_FRAME_PACKETS; i++) {
    const packet = endless.clone();
    packet.header.marker = false;
    packet.header.sequenceNumber = (endless.header.sequenceNumber + i) & 0xffff;
    track.writeRtp(packet);
    if (i % 16 === 15) await pause(5);
  }
  await handled(++sent);
  // Sequence numbers after the endless frame's.
  const after = new VideoRtpPacketizer('VP8', () => transceiver.sender.codec?.payloadType ?? 96, {
    sequenceNumber: (endless.header.sequenceNumber + 10 * MAX_FRAME_PACKETS) & 0xffff,
    timestamp: (endless.header.timestamp + 3000) >>> 0,
  });
  for (const frame of FRAMES.slice(30, 45)) await send(frame.data, after);
  await eventually(() => received() >= 10 + 3 + 15 + 1 + 15, 10_000, 'every frame to arrive');

  const deleted = await fetch(server.url + location, { method: 'DELETE' });
  expect(deleted.status).toBe(200);
  const { summary } = (await deleted.json()) as { summary: Record<string, unknown> & { dropped_by_reason: Record<string, number> } };
  expect(summary).toMatchObject({ total_frames_received: 44 });
  expect(summary.dropped_by_reason).toMatchObject({ picture_too_large: 3, frame_too_large: 1 });
  // The frames before the bomb, and from the next keyframe on, on both sides of the endless frame, were decoded and analysed.
  expect(summary.total_frames_analyzed).toBeGreaterThanOrEqual(10 + 15 + 15 - 2);
  expect((summary.total_frames_processed as number) + (summary.total_frames_dropped as number)).toBe(44);
  // The decoder never saw the dropped keyframes: it waited for the next one and asked the sender for it.
  expect(summary.keyframe_requests).toBeGreaterThanOrEqual(1);

  // The media worker reports its refusals to the main thread, where /metrics shows them.
  let metrics = '';
  for (let tries = 0; tries < 100; tries++) {
    metrics = await (await fetch(`${server.url}/metrics`)).text();
    if (/input_refused_total\{resource="frame_packets"\} 1/.test(metrics)) break;
    await pause(100);
  }
  expect(metrics).toMatch(/input_refused_total\{resource="picture_pixels"\} 3\b/);
  expect(metrics).toMatch(/input_refused_total\{resource="frame_packets"\} 1\b/);
}, 60_000);
