import { Session } from '../../src/counters/session';
import { analyzedWith, type FrameAnalyzer } from '../../src/media/analyzer';
import type { DropPolicy } from '../../src/media/frameBuffer';
import type { RtpLike } from '../../src/media/rtp';
import { VideoProcessor, type VideoProcessorOptions } from '../../src/media/videoProcessor';
import { expectCountInvariant } from '../helpers/countInvariant';
import { captureLogs, type LogEntry } from '../helpers/logCapture';
import { FrameDropped } from '../../src/errors';

/**
 * What a user of the counts and of the log meets from one video track: which frames reach the
 * analyzer, when its decoder is told frames went missing, the summary's reasons and times, and
 * the warnings a peer's bad frames leave in the log (what they say, with which fields).
 */

const TRACK = 'cam-1';
const LIMITS = { maxPicturePixels: 640 * 480, maxFrameBytes: 16 * 1024, maxFramePackets: 64 };

/** A VP8 frame header (RFC 6386 9.1): a keyframe (P=0) carries its start code and size. */
const vp8Header = (keyframe: boolean, width = 320, height = 240) =>
  keyframe ? Buffer.from([0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, width & 0xff, width >> 8, height & 0xff, height >> 8]) : Buffer.from([0x01, 0x00, 0x00]);

interface PacketOptions {
  sequenceNumber?: number;
  keyframe?: boolean;
  payloadType?: number;
  ssrc?: number;
  width?: number;
  height?: number;
}

/** A one-packet VP8 frame at RTP time frame × 3000: payload descriptor with S=1, then a VP8 header. */
const framePacket = (frame: number, { sequenceNumber = frame, keyframe = true, payloadType = 96, ssrc, width, height }: PacketOptions = {}): RtpLike => ({
  header: { timestamp: frame * 3000, marker: true, sequenceNumber, payloadType, ...(ssrc === undefined ? {} : { ssrc }) },
  payload: Buffer.concat([Buffer.from([0x10]), vp8Header(keyframe, width, height), Buffer.alloc(89)]),
});

/** A VP8 interframe of `packets` packets of `bytes` payload bytes each, first sequence number `first`. */
const multiPacketFrame = (frame: number, first: number, packets: number, bytes: number): RtpLike[] =>
  Array.from({ length: packets }, (_, i) => ({
    header: { timestamp: frame * 3000, marker: i === packets - 1, sequenceNumber: first + i, payloadType: 96 },
    payload: Buffer.concat([Buffer.from([i === 0 ? 0x10 : 0x00]), i === 0 ? vp8Header(false) : Buffer.alloc(0), Buffer.alloc(bytes)]).subarray(0, bytes),
  }));

/** Frame numbers `first` to `last`. */
const frames = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** An analyzer that records, in order, each frame it analyses (by RTP time) and each time it is told frames were lost. */
function recordingAnalyzer(analyze: FrameAnalyzer['analyze'] = () => analyzedWith([])) {
  const events: string[] = [];
  const analyzer: FrameAnalyzer = {
    analyze: (frame) => {
      events.push(`analyze ${frame.rtpTimestamp}`);
      return analyze(frame);
    },
    framesLost: () => events.push('lost'),
  };
  const lost = () => events.filter((event) => event === 'lost').length;
  const analyzed = () => events.filter((event) => event !== 'lost').map((event) => Number(event.slice('analyze '.length)));
  return { analyzer, events, lost, analyzed };
}

function setup(options: Partial<VideoProcessorOptions> = {}) {
  const session = new Session('s');
  const { logger, logs } = captureLogs({ console: false });
  const recorder = recordingAnalyzer();
  const processor = new VideoProcessor({
    trackId: TRACK,
    session,
    analyzer: recorder.analyzer,
    bufferSize: 8,
    logger,
    codecOf: (type) => (type === 96 ? 'VP8' : undefined),
    limits: LIMITS,
    ...options,
  });
  /** Stops the track and closes the session: its summary, after every log entry was written. */
  const finish = async () => {
    await processor.stop();
    await flush();
    const { summary } = session.close('tracks_ended', {});
    expectCountInvariant(summary);
    return summary;
  };
  return { session, processor, logs, recorder, finish };
}

/** The entries logged at `level`, as a reader of the log sees them: message and fields, without the timestamp. */
const entries = (logs: LogEntry[], level: string) =>
  logs.filter((entry) => entry.level === level).map(({ timestamp: _timestamp, ...fields }) => Object.fromEntries(Object.entries(fields)));

/** Hands `packets` to `processor` one at a time, letting the analysis loop take each frame as it comes. */
async function send(processor: VideoProcessor, packets: RtpLike[]): Promise<void> {
  for (const packet of packets) {
    processor.handleRtp(packet);
    await flush();
  }
}

describe('VideoProcessor, as the counts and the log show it', () => {
  describe('the buffer in front of a stalled analyzer', () => {
    async function stalledRun(bufferPolicy?: DropPolicy) {
      const stall = gate();
      const recorder = recordingAnalyzer(async () => (await stall.opened, analyzedWith([])));
      const { processor, finish } = setup({ analyzer: recorder.analyzer, bufferSize: 2, ...(bufferPolicy ? { bufferPolicy } : {}) });
      // Frame 1 goes straight to the analyzer, which stalls; 2 and 3 fill the buffer; 4 and 5 overflow it.
      for (let frame = 1; frame <= 5; frame++) processor.handleRtp(framePacket(frame));
      await flush();
      const lostBeforeRelease = recorder.lost();
      stall.open();
      await flush();
      const summary = await finish();
      return { summary, analyzed: recorder.analyzed(), lostBeforeRelease, lost: recorder.lost() };
    }

    it('drops the oldest queued frames by default, so analysis stays live', async () => {
      const { summary, analyzed } = await stalledRun();
      expect(analyzed).toEqual([3000, 12_000, 15_000]);
      expect(summary).toMatchObject({ total_frames_received: 5, total_frames_processed: 3, dropped_by_reason: { buffer_full: 2 } });
    });

    it('drops the newest frames when the policy says so', async () => {
      const { summary, analyzed } = await stalledRun('drop_newest');
      expect(analyzed).toEqual([3000, 6000, 9000]);
      expect(summary).toMatchObject({ total_frames_received: 5, total_frames_processed: 3, dropped_by_reason: { buffer_full: 2 } });
    });

    it("tells the analyzer's decoder once for each frame the full buffer dropped", async () => {
      const { lostBeforeRelease, lost } = await stalledRun();
      expect(lostBeforeRelease).toBe(2);
      expect(lost).toBe(2);
    });
  });

  describe("the analyzer's decoder is told of missing frames, and only then", () => {
    it('is never told on a stream without loss', async () => {
      const { processor, recorder, finish } = setup();
      await send(processor, frames(1, 6).map((frame) => framePacket(frame, { keyframe: frame === 1 })));
      const summary = await finish();
      expect(recorder.lost()).toBe(0);
      expect(recorder.analyzed()).toHaveLength(6);
      expect(summary).toMatchObject({ total_frames_processed: 6, total_frames_dropped: 0 });
    });

    it('is told once, before the first frame after a lost one is analysed', async () => {
      const { processor, recorder, finish } = setup();
      // Frame 2 never arrives: frame 3 waits behind it until a packet 9,000 ticks newer (frame 7) gives it up.
      await send(processor, [1, 3, 4, 5, 6, 7].map((frame) => framePacket(frame, { keyframe: frame === 1 })));
      const summary = await finish();
      expect(recorder.events).toEqual(['analyze 3000', 'lost', 'analyze 9000', 'analyze 12000', 'analyze 15000', 'analyze 18000', 'analyze 21000']);
      expect(summary).toMatchObject({ total_frames_received: 6, total_frames_processed: 6, total_frames_dropped: 0 });
    });

    it('is told when a new SSRC takes over, even with sequence numbers that carry on without a gap', async () => {
      const { processor, recorder, logs, finish } = setup();
      // A new SSRC is a new encoder: its frames cannot follow the old one's in a decoder.
      await send(processor, frames(1, 6).map((frame) => framePacket(frame, { ssrc: frame <= 3 ? 7 : 8 })));
      const summary = await finish();
      expect(recorder.events).toEqual(['analyze 3000', 'analyze 6000', 'analyze 9000', 'lost', 'analyze 12000', 'analyze 15000', 'analyze 18000']);
      expect(summary).toMatchObject({ total_frames_received: 6, total_frames_processed: 6, total_frames_dropped: 0 });
      expect(entries(logs, 'info')).toEqual([
        {
          level: 'info',
          message: 'RTP sequence numbers restarted (a jump or a new SSRC): counting goes on from the new packet',
          track_id: TRACK,
          occurrences: 1,
        },
      ]);
    });
  });

  it('logs restarts within the log budget: the 1st and the 10th, each with its number of occurrences', async () => {
    const { processor, recorder, logs, finish } = setup({ bufferSize: 32 });
    // Eleven SSRCs one after the other: ten restarts.
    let sequenceNumber = 1000;
    for (let run = 0; run < 11; run++) {
      for (let frame = 2 * run + 1; frame <= 2 * run + 2; frame++) {
        processor.handleRtp(framePacket(frame, { sequenceNumber: sequenceNumber++, ssrc: 100 + run }));
        await flush();
      }
    }
    const summary = await finish();
    expect(summary).toMatchObject({ total_frames_received: 22, total_frames_processed: 22 });
    expect(recorder.lost()).toBe(10);
    expect(entries(logs, 'info').map(({ message, track_id, occurrences }) => ({ message, track_id, occurrences }))).toEqual([
      { message: expect.stringMatching(/^RTP sequence numbers restarted/), track_id: TRACK, occurrences: 1 },
      { message: expect.stringMatching(/^RTP sequence numbers restarted/), track_id: TRACK, occurrences: 10 },
    ]);
  });

  describe('a stopped track', () => {
    it('is not stopped until stop() is called', async () => {
      const { processor } = setup();
      expect(processor.stopped).toBe(false);
      const stopping = processor.stop();
      expect(processor.stopped).toBe(true);
      await stopping;
    });

    it('ignores packets that arrive after stop(), even the next one in sequence', async () => {
      const { processor, session, recorder } = setup();
      processor.handleRtp(framePacket(1));
      await flush();
      await processor.stop();
      processor.handleRtp(framePacket(2));
      await flush();
      expect(session.counters()).toMatchObject({ frames_received: 1, frames_processed: 1, frames_dropped: 0 });
      expect(recorder.events).toEqual(['analyze 3000']);
    });
  });

  describe('frames over MAX_FRAME_BYTES or MAX_FRAME_PACKETS', () => {
    it('are dropped as frame_too_large with a warning naming the byte limit', async () => {
      const { processor, recorder, logs, finish } = setup({ limits: { ...LIMITS, maxFrameBytes: 250 } });
      await send(processor, [framePacket(1), ...multiPacketFrame(2, 2, 3, 100), framePacket(3, { sequenceNumber: 5, keyframe: false })]);
      const summary = await finish();
      expect(summary).toMatchObject({ total_frames_received: 3, total_frames_processed: 2, dropped_by_reason: { frame_too_large: 1 } });
      expect(recorder.events).toEqual(['analyze 3000', 'lost', 'analyze 9000']);
      expect(entries(logs, 'warn')).toEqual([
        { level: 'warn', message: 'Video frame over MAX_FRAME_BYTES (250) dropped', track_id: TRACK, rtp_timestamp: 6000, occurrences: 1 },
      ]);
    });

    it('are dropped as frame_too_large with a warning naming the packet limit', async () => {
      const { processor, recorder, logs, finish } = setup({ limits: { ...LIMITS, maxFramePackets: 3 } });
      for (const packet of multiPacketFrame(1, 1, 5, 20)) processor.handleRtp(packet);
      const summary = await finish();
      expect(summary).toMatchObject({ total_frames_received: 1, total_frames_processed: 0, dropped_by_reason: { frame_too_large: 1 } });
      expect(recorder.events).toEqual(['lost']);
      expect(entries(logs, 'warn')).toEqual([
        { level: 'warn', message: 'Video frame over MAX_FRAME_PACKETS (3) dropped', track_id: TRACK, rtp_timestamp: 3000, occurrences: 1 },
      ]);
    });
  });

  describe('frames the server cannot decode', () => {
    it('of a payload type that is no codec it decodes: decode_error, with a debug line saying which type', async () => {
      const { processor, recorder, logs, finish } = setup();
      processor.handleRtp(framePacket(1, { payloadType: 100 }));
      const summary = await finish();
      expect(summary).toMatchObject({ total_frames_received: 1, total_frames_processed: 0, dropped_by_reason: { decode_error: 1 } });
      expect(recorder.events).toEqual(['lost']);
      expect(entries(logs, 'debug')).toEqual([
        { level: 'debug', message: 'Undecodable frame', track_id: TRACK, error: 'payload type 100 is not a codec this server decodes' },
      ]);
      expect(entries(logs, 'warn')).toEqual([]);
    });

    it('whose picture header cannot be read: decode_error, with a debug line saying what is wrong', async () => {
      const { processor, recorder, logs, finish } = setup();
      // A VP8 keyframe (P=0) whose start code is missing.
      processor.handleRtp({ header: { timestamp: 3000, marker: true, sequenceNumber: 1, payloadType: 96 }, payload: Buffer.concat([Buffer.from([0x10]), Buffer.alloc(40)]) });
      const summary = await finish();
      expect(summary).toMatchObject({ total_frames_received: 1, total_frames_processed: 0, keyframes: 0, dropped_by_reason: { decode_error: 1 } });
      expect(recorder.events).toEqual(['lost']);
      expect(entries(logs, 'debug')).toEqual([{ level: 'debug', message: 'Undecodable frame', track_id: TRACK, error: 'a VP8 keyframe has no start code' }]);
    });

    it('whose picture is over MAX_PICTURE_PIXELS: picture_too_large, with a warning giving the limit and the size', async () => {
      const { processor, recorder, logs, finish } = setup();
      await send(processor, [framePacket(1, { width: 1280, height: 720 }), framePacket(2, { width: 640, height: 480 })]);
      const summary = await finish();
      expect(summary).toMatchObject({ total_frames_received: 2, total_frames_processed: 1, keyframes: 1, dropped_by_reason: { picture_too_large: 1 } });
      expect(recorder.events).toEqual(['lost', 'analyze 6000']);
      expect(entries(logs, 'warn')).toEqual([
        {
          level: 'warn',
          message: 'Video picture over MAX_PICTURE_PIXELS (307200) dropped before decoding',
          track_id: TRACK,
          codec: 'VP8',
          width: 1280,
          height: 720,
          occurrences: 1,
        },
      ]);
    });
  });

  describe("the analyzer's answers", () => {
    it('hands the session the time each analysis took, on the clock the processor reads', async () => {
      let clock = 5_000;
      const now = jest.spyOn(performance, 'now').mockImplementation(() => clock);
      try {
        const took = [12, 30, 18];
        const { processor, finish } = setup({
          analyzer: {
            analyze: () => {
              clock += took.shift()!;
              return analyzedWith([]);
            },
          },
        });
        await send(processor, frames(1, 3).map((frame) => framePacket(frame)));
        const summary = await finish();
        expect(summary).toMatchObject({ total_frames_processed: 3, avg_processing_time_ms: 20, p95_processing_time_ms: 30 });
      } finally {
        now.mockRestore();
      }
    });

    it('reports detections only for frames that have some', async () => {
      const seen: { rtpTimestamp: number; labels: string[] }[] = [];
      const { processor, finish } = setup({
        analyzer: { analyze: (frame) => analyzedWith(frame.rtpTimestamp === 6000 ? [{ label: 'wound', score: 0.9, bbox: [1, 2, 3, 4] }] : []) },
        onDetections: (frame, detections) => seen.push({ rtpTimestamp: frame.rtpTimestamp, labels: detections.map((d) => d.label) }),
      });
      await send(processor, frames(1, 3).map((frame) => framePacket(frame)));
      const summary = await finish();
      expect(seen).toEqual([{ rtpTimestamp: 6000, labels: ['wound'] }]);
      expect(summary).toMatchObject({ total_frames_processed: 3, total_detections: 1 });
    });

    it('counts a frame the analyzer dropped under its reason, and a failed analysis as analysis_error with a warning', async () => {
      const { processor, logs, finish } = setup({
        analyzer: {
          analyze: (frame) => {
            if (frame.rtpTimestamp === 6000) throw new FrameDropped('waiting_for_keyframe', 'needs a keyframe');
            if (frame.rtpTimestamp === 9000) throw new Error('detector crashed: bad tensor shape');
            return analyzedWith([]);
          },
        },
      });
      await send(processor, frames(1, 4).map((frame) => framePacket(frame)));
      const summary = await finish();
      expect(summary).toMatchObject({
        total_frames_received: 4,
        total_frames_processed: 2,
        total_frames_dropped: 2,
        dropped_by_reason: { waiting_for_keyframe: 1, analysis_error: 1 },
      });
      expect(entries(logs, 'warn')).toEqual([
        { level: 'warn', message: 'Frame analysis failed', track_id: TRACK, error: 'detector crashed: bad tensor shape', occurrences: 1 },
      ]);
    });

    it('logs failed analyses within the log budget, and counts every one', async () => {
      const { processor, logs, finish } = setup({
        analyzer: {
          analyze: () => {
            throw new Error('detector crashed');
          },
        },
      });
      await send(processor, frames(1, 12).map((frame) => framePacket(frame)));
      const summary = await finish();
      expect(summary).toMatchObject({ total_frames_received: 12, total_frames_processed: 0, dropped_by_reason: { analysis_error: 12 } });
      expect(entries(logs, 'warn').map((entry) => entry.occurrences)).toEqual([1, 10]);
    });
  });
});
