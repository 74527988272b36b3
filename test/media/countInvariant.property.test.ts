import fc from 'fast-check';
import { Session } from '../../src/counters/session';
import { createLogger } from '../../src/logger';
import { analyzedWith, type FrameAnalyzer } from '../../src/media/analyzer';
import { ReorderBuffer } from '../../src/media/reorderBuffer';
import type { RtpLike } from '../../src/media/rtp';
import { VideoProcessor } from '../../src/media/videoProcessor';
import { expectCountInvariant } from '../helpers/countInvariant';
import { seededRandom } from '../helpers/seededRandom';
import { FrameDropped } from '../../src/errors';

/**
 * The counting promise over the whole video path (reorder buffer, frame assembler, frame
 * buffer, analysis loop, stop), for streams with loss, reordering, duplicates, sender restarts
 * (sequence jumps, new SSRCs) and a stop at any point:
 * - always: received = processed + dropped, dropped = the sum by reason, not sampled <= processed;
 * - when reordering stays within what the reorder buffer waits for (each packet at most 2
 *   places from its slot, 2 frames of media time < the 100 ms wait) and never crosses a
 *   restart nor overtakes the first packet of a run (it starts the run: anything behind it is
 *   taken for late), and a restart lands outside the run window of the runs it leaves: every distinct
 *   frame with at least one packet delivered before the stop is received exactly once.
 */

const logger = createLogger({ level: 'error', format: 'json', silent: true });
const FRAME_TICKS = 3000;
/** VideoProcessor's run window (4 × its 256 held packets), plus room for a segment's own packets. */
const FAR = 1024 + 64;
/** Each packet arrives at most this many places from its slot. */
const DISPLACEMENT = 2.5;

interface Segment {
  newSsrc: boolean;
  /** Where the segment starts, relative to where the previous one ended (same SSRC: kept far from it). */
  jump: number;
  framePackets: number[];
}

interface Sent {
  packet: RtpLike;
  /** The frame it belongs to: segment and frame index. */
  frame: string;
}

const segmentArbitrary = fc.record({
  newSsrc: fc.boolean(),
  jump: fc.integer({ min: FAR, max: 0x10000 - FAR }),
  framePackets: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 15 }),
});

const streamArbitrary = fc.record({
  segments: fc.array(segmentArbitrary, { minLength: 1, maxLength: 4 }),
  firstSequence: fc.integer({ min: 0, max: 0xffff }),
  lossPercent: fc.integer({ min: 0, max: 30 }),
  duplicatePercent: fc.integer({ min: 0, max: 20 }),
  reorder: fc.boolean(),
  /** Where the stop falls, as a fraction of the packets delivered. */
  stopAt: fc.double({ min: 0, max: 1, noNaN: true }),
  bufferSize: fc.integer({ min: 1, max: 4 }),
  /** How often the test lets the analysis loop run between packets (percent). */
  yieldPercent: fc.integer({ min: 0, max: 100 }),
  seed: fc.integer(),
});

/** The packets a sender sends, in order: VP8 interframes (no picture size to check), 1-3 packets each. */
function send(segments: Segment[], firstSequence: number, random: () => number): Sent[] {
  const sent: Sent[] = [];
  let ssrc = 1000;
  let sequence = firstSequence;
  /** Where each SSRC's runs ended: a jump lands far from all of them, else it would be taken for late packets. */
  const ends: number[] = [];
  segments.forEach((segment, index) => {
    if (index > 0) {
      if (segment.newSsrc) {
        ssrc++;
        ends.length = 0;
        sequence = Math.floor(random() * 0x10000);
      } else {
        const start = (sequence + segment.jump) & 0xffff;
        const tooNear = ends.some((end) => Math.abs((((start - end) & 0xffff) << 16) >> 16) < FAR);
        if (tooNear) {
          ssrc++;
          ends.length = 0;
        }
        sequence = start;
      }
    }
    let timestamp = Math.floor(random() * 2 ** 32);
    segment.framePackets.forEach((packets, frame) => {
      for (let i = 0; i < packets; i++) {
        const payload = i === 0 ? Buffer.from([0x10, 0x01, 0x00, 0x00, 7, 7]) : Buffer.from([0x00, 7, 7, 7]);
        sent.push({ frame: `${index}/${frame}`, packet: { header: { sequenceNumber: sequence, timestamp, marker: i === packets - 1, payloadType: 96, ssrc }, payload } });
        sequence = (sequence + 1) & 0xffff;
      }
      timestamp = (timestamp + FRAME_TICKS) >>> 0;
    });
    ends.push(sequence);
  });
  return sent;
}

/** What the network delivers: losses, duplicates and local reordering, never across a restart. */
function deliver(sent: Sent[], lossPercent: number, duplicatePercent: number, reorder: boolean, random: () => number): Sent[] {
  const keyed: Array<{ key: number; item: Sent }> = [];
  let segmentStarted = -1;
  sent.forEach((item, index) => {
    const segment = Number(item.frame.split('/')[0]);
    // The segment's weight keeps every packet of a segment before any of the next.
    const slot = segment * 1e6 + index;
    if (random() * 100 < lossPercent) return;
    // Nothing overtakes the first packet of a run: what arrives behind it is taken for late.
    const first = segmentStarted !== segment;
    segmentStarted = segment;
    keyed.push({ key: slot + (reorder && !first ? random() * DISPLACEMENT : 0), item });
    if (random() * 100 < duplicatePercent) keyed.push({ key: slot + random() * DISPLACEMENT, item });
  });
  return keyed.sort((a, b) => a.key - b.key).map(({ item }) => item);
}

/** Answers at once: detections, a decoded frame it did not sample, a drop, or a failure. */
function fakeAnalyzer(random: () => number): FrameAnalyzer {
  return {
    analyze: () => {
      const roll = random();
      if (roll < 0.1) throw new Error('detector failed');
      if (roll < 0.2) throw new FrameDropped('waiting_for_keyframe', 'needs a keyframe');
      if (roll < 0.4) return { detections: [], analyzed: false, notSampled: true };
      if (roll < 0.5) return Promise.resolve(analyzedWith([]));
      return analyzedWith([]);
    },
    framesLost: () => {},
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the count invariant over the video path (fast-check)', () => {
  it('holds, and every distinct frame delivered before the stop is received exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(streamArbitrary, async (stream) => {
        const random = seededRandom(stream.seed);
        const sent = send(stream.segments, stream.firstSequence, random);
        const delivered = deliver(sent, stream.lossPercent, stream.duplicatePercent, stream.reorder, random);
        const stopAfter = Math.floor(stream.stopAt * delivered.length);
        const session = new Session('property');
        const processor = new VideoProcessor({
          trackId: 'v',
          session,
          analyzer: fakeAnalyzer(random),
          bufferSize: stream.bufferSize,
          logger,
          codecOf: () => 'VP8',
        });
        for (const { packet } of delivered.slice(0, stopAfter)) {
          processor.handleRtp(packet);
          if (random() * 100 < stream.yieldPercent) await tick();
        }
        await processor.stop();
        const { summary } = session.close('tracks_ended', {});
        expectCountInvariant(summary);
        const frames = new Set(delivered.slice(0, stopAfter).map(({ frame }) => frame));
        expect(summary.total_frames_received).toBe(frames.size);
        expect(summary.dropped_by_reason.in_flight_at_close ?? 0).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('holds for any packets a hostile peer sends, which cost bounded memory and count at most one frame each', async () => {
    const packetArbitrary = fc.record({
      sequenceNumber: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 32_760, max: 32_800 }), fc.integer({ min: 0, max: 0xffff })),
      timestamp: fc.oneof(fc.integer({ min: 0, max: 5 }).map((frame) => frame * FRAME_TICKS), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
      marker: fc.boolean(),
      ssrc: fc.constantFrom(1, 2, undefined),
      payload: fc.uint8Array({ minLength: 0, maxLength: 12 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(packetArbitrary, { maxLength: 300 }), fc.integer({ min: 1, max: 3 }), async (packets, bufferSize) => {
        const session = new Session('hostile');
        const processor = new VideoProcessor({ trackId: 'v', session, analyzer: { analyze: () => analyzedWith([]) }, bufferSize, logger, codecOf: () => 'VP8' });
        const reorder = new ReorderBuffer<RtpLike>(() => {}, { maxHeldPackets: 8, maxWaitTicks: 9000 });
        for (const { payload, ...header } of packets) {
          const packet = { header: { ...header, payloadType: 96 }, payload: Buffer.from(payload) };
          processor.handleRtp(packet);
          reorder.push(packet);
          expect(reorder.heldCount).toBeLessThanOrEqual(8);
        }
        await processor.stop();
        const { summary } = session.close('tracks_ended', {});
        expectCountInvariant(summary);
        expect(summary.total_frames_received).toBeLessThanOrEqual(packets.length);
      }),
      { numRuns: 150 },
    );
  });
});
