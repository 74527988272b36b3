/**
 * The depacketizers on the network path (werift's, behind src/media/videoFrame.ts, and the VP9
 * superframe built there) fed arbitrary RTP payloads: nothing throws past the track's
 * processor, and every frame received is counted once, processed or dropped for a reason.
 */
import fc from 'fast-check';
import { Session } from '../../src/counters/session';
import { createLogger } from '../../src/logger';
import type { VideoCodecName } from '../../src/media/decode/videoDecoder';
import { depacketize } from '../../src/media/videoFrame';
import { analyzedWith } from '../../src/media/analyzer';
import { VideoProcessor } from '../../src/media/videoProcessor';

const logger = createLogger({ level: 'error', format: 'json', silent: true });
const CODECS: VideoCodecName[] = ['VP8', 'VP9', 'H264', 'AV1'];

/** Payloads that look like their format's first bytes often enough to go deep into the parsers. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.tuple(fc.constantFrom(0x10, 0x90, 0x8c, 0x88, 0x04, 0x78, 0x7c, 0x18, 0x28, 0x68), fc.uint8Array({ maxLength: 64 })).map(([first, rest]) => Uint8Array.from([first, ...rest])),
);

describe('depacketizers on arbitrary payloads', () => {
  it('depacketize() gives a frame or throws an Error, for every codec', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CODECS), fc.array(payload, { minLength: 1, maxLength: 6 }), (codec, payloads) => {
        const frame = { rtpTimestamp: 0, payloadType: 96, packets: payloads.length, bytes: 0, payloads: payloads.map((bytes) => Buffer.from(bytes)), receivedAt: 0, incomplete: false, afterLoss: false };
        try {
          const result = depacketize(frame, codec);
          expect(Buffer.isBuffer(result.data)).toBe(true);
        } catch (error) {
          // Node's own errors (a RangeError reading past a Buffer) come from another realm than jest's Error.
          expect(Object.prototype.toString.call(error)).toBe('[object Error]');
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('a track fed arbitrary packets never throws, and counts each frame once', async () => {
    const packets = fc.array(fc.record({ payload, timestamp: fc.integer({ min: 0, max: 4 }), marker: fc.boolean(), step: fc.integer({ min: -2, max: 3 }) }), { maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CODECS), packets, async (codec, items) => {
        const session = new Session('s');
        const processor = new VideoProcessor({ trackId: 'v', session, analyzer: { analyze: () => analyzedWith([]) }, bufferSize: 8, logger, codecOf: () => codec });
        let sequence = 1000;
        for (const item of items) {
          sequence = (sequence + item.step) & 0xffff;
          expect(() => processor.handleRtp({ header: { timestamp: item.timestamp * 3000, marker: item.marker, sequenceNumber: sequence, payloadType: 96 }, payload: Buffer.from(item.payload) })).not.toThrow();
        }
        await processor.stop();
        const { summary } = session.close('tracks_ended', {});
        expect(summary.total_frames_processed + summary.total_frames_dropped).toBe(summary.total_frames_received);
        expect(summary.dropped_by_reason.in_flight_at_close ?? 0).toBe(0);
      }),
      { numRuns: 400 },
    );
  });
});
