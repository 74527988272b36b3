import { type FrameAnalysis, type FrameAnalyzer } from '../../src/media/analyzer';
import type { FrameOutcome, FrameWorkerPool } from '../../src/media/decode/frameWorkerPool';
import type { VideoCodecName } from '../../src/media/decode/videoDecoder';
import { DecodingAnalyzerFactory, type DecodingAnalyzerOptions } from '../../src/media/decodingAnalyzer';
import type { VideoFrame } from '../../src/media/videoFrame';
import { FrameDropped } from '../../src/errors';

const SQUARE_OUTCOME: FrameOutcome = {
  picture: { width: 640, height: 480 },
  detections: [{ label: 'wound', score: 1, bbox: [200, 160, 160, 160] }],
  decodeMs: 1,
  detectMs: 1,
};

interface FakeStream {
  codec: VideoCodecName;
  decodeAndDetect: jest.Mock<Promise<FrameOutcome>, [Uint8Array, boolean]>;
  /** Decoding without detection, for frames the analysis rate skips. */
  decode: jest.Mock<Promise<FrameOutcome>, [Uint8Array, boolean]>;
  close: jest.Mock<void, []>;
  /** The callback the analyzer gave the pool for this stream. */
  onDecoderLost: () => void;
}

/** A pool that hands out fake streams answering SQUARE_OUTCOME unless told otherwise. */
function fakePool() {
  const streams: FakeStream[] = [];
  const pool = {
    openStream: jest.fn((codec: VideoCodecName, onDecoderLost: () => void) => {
      const stream: FakeStream = {
        codec,
        decodeAndDetect: jest.fn(async (_data: Uint8Array, _keyframe: boolean) => SQUARE_OUTCOME),
        decode: jest.fn(async (_data: Uint8Array, _keyframe: boolean) => ({ ...SQUARE_OUTCOME, detections: [], detectMs: 0 })),
        close: jest.fn(),
        onDecoderLost,
      };
      streams.push(stream);
      return stream;
    }),
  };
  return { pool: pool as unknown as FrameWorkerPool, openStream: pool.openStream, streams };
}

let nextTimestamp = 0;

function frame(keyframe: boolean, codec: VideoCodecName = 'VP8'): VideoFrame {
  const rtpTimestamp = (nextTimestamp += 3000);
  const data = Buffer.from([keyframe ? 0x10 : 0x11, rtpTimestamp & 0xff]);
  return { rtpTimestamp, payloadType: 96, packets: 1, bytes: data.length, payloads: [data], receivedAt: 0, incomplete: false, afterLoss: false, codec, data, keyframe };
}

function setup(options: DecodingAnalyzerOptions = {}) {
  const fake = fakePool();
  const requestKeyframe = jest.fn();
  const analyzer = new DecodingAnalyzerFactory(fake.pool, options).forTrack({ sessionId: 'session', trackId: 'track', requestKeyframe });
  const analyze = (video: VideoFrame) => Promise.resolve(analyzer.analyze(video));
  return { ...fake, requestKeyframe, analyzer: analyzer as Required<FrameAnalyzer>, analyze };
}

const droppedAs = (reason: string) => expect.objectContaining({ reason });

describe('DecodingAnalyzer', () => {
  it('drops delta frames before the first keyframe as waiting_for_keyframe and asks for a keyframe each time', async () => {
    const { analyze, requestKeyframe, openStream, streams } = setup();
    for (let i = 0; i < 3; i++) {
      const result = analyze(frame(false));
      await expect(result).rejects.toBeInstanceOf(FrameDropped);
      await expect(result).rejects.toEqual(droppedAs('waiting_for_keyframe'));
    }
    expect(requestKeyframe).toHaveBeenCalledTimes(3);
    expect(openStream).toHaveBeenCalledTimes(1);
    expect(openStream).toHaveBeenCalledWith('VP8', expect.any(Function));
    expect(streams[0]!.decodeAndDetect).not.toHaveBeenCalled();
  });

  it('decodes from the first keyframe on, delta frames included', async () => {
    const { analyze, requestKeyframe, streams } = setup();
    const key = frame(true);
    await expect(analyze(key)).resolves.toMatchObject({ detections: SQUARE_OUTCOME.detections, analyzed: true });
    const delta = frame(false);
    await expect(analyze(delta)).resolves.toMatchObject({ detections: SQUARE_OUTCOME.detections, analyzed: true });
    expect(streams[0]!.decodeAndDetect.mock.calls).toEqual([
      [key.data, true],
      [delta.data, false],
    ]);
    expect(requestKeyframe).not.toHaveBeenCalled();
  });

  it('reports a frame that gave no picture as not analysed', async () => {
    const { analyze, streams } = setup();
    await analyze(frame(true));
    streams[0]!.decodeAndDetect.mockResolvedValueOnce({ picture: null, detections: [], decodeMs: 1, detectMs: 0 });
    await expect(analyze(frame(false))).resolves.toMatchObject({ detections: [], analyzed: false });
  });

  it('waits for a keyframe again after framesLost(), asking once for it', async () => {
    const { analyze, analyzer, requestKeyframe, streams } = setup();
    await analyze(frame(true));
    analyzer.framesLost();
    analyzer.framesLost();
    expect(requestKeyframe).toHaveBeenCalledTimes(1);
    await expect(analyze(frame(false))).rejects.toEqual(droppedAs('waiting_for_keyframe'));
    expect(requestKeyframe).toHaveBeenCalledTimes(2);
    await expect(analyze(frame(true))).resolves.toMatchObject({ analyzed: true });
    await expect(analyze(frame(false))).resolves.toMatchObject({ analyzed: true });
    expect(streams[0]!.decodeAndDetect).toHaveBeenCalledTimes(3);
  });

  it('does not ask for a keyframe on framesLost() before any frame (it waits for one already)', () => {
    const { analyzer, requestKeyframe } = setup();
    analyzer.framesLost();
    expect(requestKeyframe).not.toHaveBeenCalled();
  });

  it.each(['decode_error', 'analysis_timeout', 'worker_restarted'] as const)(
    'waits for a keyframe after a frame dropped as %s, and rethrows it',
    async (reason) => {
      const { analyze, requestKeyframe, streams } = setup();
      await analyze(frame(true));
      const failure = new FrameDropped(reason, 'failed');
      streams[0]!.decodeAndDetect.mockRejectedValueOnce(failure);
      await expect(analyze(frame(false))).rejects.toBe(failure);
      expect(requestKeyframe).toHaveBeenCalledTimes(1);
      await expect(analyze(frame(false))).rejects.toEqual(droppedAs('waiting_for_keyframe'));
      await expect(analyze(frame(true))).resolves.toMatchObject({ analyzed: true });
    },
  );

  it('waits for a keyframe after an unexpected error', async () => {
    const { analyze, streams } = setup();
    await analyze(frame(true));
    streams[0]!.decodeAndDetect.mockRejectedValueOnce(new Error('boom'));
    await expect(analyze(frame(false))).rejects.toThrow('boom');
    await expect(analyze(frame(false))).rejects.toEqual(droppedAs('waiting_for_keyframe'));
  });

  it.each(['analysis_error', 'analysis_timeout'] as const)(
    'keeps decoding delta frames after a frame dropped as %s after decoding (the decoder saw the frame)',
    async (reason) => {
      const { analyze, requestKeyframe, streams } = setup();
      await analyze(frame(true));
      streams[0]!.decodeAndDetect.mockRejectedValueOnce(new FrameDropped(reason, 'detector threw or was late', true));
      await expect(analyze(frame(false))).rejects.toEqual(droppedAs(reason));
      await expect(analyze(frame(false))).resolves.toMatchObject({ analyzed: true });
      expect(requestKeyframe).not.toHaveBeenCalled();
      expect(streams[0]!.decodeAndDetect).toHaveBeenCalledTimes(3);
    },
  );

  it('waits for a keyframe when the pool says the decoder was lost', async () => {
    const { analyze, requestKeyframe, streams } = setup();
    await analyze(frame(true));
    streams[0]!.onDecoderLost();
    expect(requestKeyframe).toHaveBeenCalledTimes(1);
    await expect(analyze(frame(false))).rejects.toEqual(droppedAs('waiting_for_keyframe'));
    await expect(analyze(frame(true))).resolves.toMatchObject({ analyzed: true });
  });

  it('opens a new stream on a codec change, closes the old one, and waits for a keyframe of the new codec', async () => {
    const { analyze, openStream, requestKeyframe, streams } = setup();
    await analyze(frame(true, 'VP8'));
    await analyze(frame(false, 'VP8'));
    await expect(analyze(frame(false, 'H264'))).rejects.toEqual(droppedAs('waiting_for_keyframe'));
    expect(openStream).toHaveBeenCalledTimes(2);
    expect(openStream).toHaveBeenLastCalledWith('H264', expect.any(Function));
    expect(streams[0]!.close).toHaveBeenCalledTimes(1);
    expect(requestKeyframe).toHaveBeenCalledTimes(1);
    const key = frame(true, 'H264');
    await expect(analyze(key)).resolves.toMatchObject({ analyzed: true });
    expect(streams[1]!.decodeAndDetect).toHaveBeenCalledWith(key.data, true);
    expect(streams[0]!.decodeAndDetect).toHaveBeenCalledTimes(2);
    expect(openStream).toHaveBeenCalledTimes(2);
  });

  it('close() closes the stream, once', async () => {
    const { analyze, analyzer, streams } = setup();
    await analyze(frame(true));
    analyzer.close();
    analyzer.close();
    expect(streams[0]!.close).toHaveBeenCalledTimes(1);
  });

  it('without an analysis rate, runs the detector on every frame', async () => {
    const { analyze, streams } = setup();
    for (let i = 0; i < 12; i++) await analyze(frame(i === 0));
    expect(streams[0]!.decodeAndDetect).toHaveBeenCalledTimes(12);
    expect(streams[0]!.decode).not.toHaveBeenCalled();
  });

  it('with an analysis rate of 5 fps, decodes every frame of a 30 fps track and runs the detector on one in six', async () => {
    const { analyze, streams } = setup({ analysisFps: 5 });
    const results: FrameAnalysis[] = [];
    for (let i = 0; i < 12; i++) results.push(await analyze(frame(i === 0)));
    expect(results.map((result) => result.analyzed)).toEqual([true, false, false, false, false, false, true, false, false, false, false, false]);
    expect(results.filter((result) => result.notSampled)).toHaveLength(10);
    const { decodeMs, detectMs } = SQUARE_OUTCOME;
    expect(results[6]).toEqual({ detections: SQUARE_OUTCOME.detections, analyzed: true, picture: SQUARE_OUTCOME.picture, decodeMs, detectMs });
    // A skipped frame was decoded: its decode time counts, it has no detect time.
    for (const skipped of results.filter((result) => result.notSampled)) expect(skipped).toEqual({ detections: [], analyzed: false, notSampled: true, decodeMs });
    expect(streams[0]!.decodeAndDetect).toHaveBeenCalledTimes(2);
    expect(streams[0]!.decode).toHaveBeenCalledTimes(10);
  });

  it('with an analysis rate, a frame waiting for a keyframe or giving no picture does not use up the slot', async () => {
    const { analyze, streams } = setup({ analysisFps: 5 });
    await expect(analyze(frame(false))).rejects.toEqual(droppedAs('waiting_for_keyframe'));
    streams[0]!.decodeAndDetect.mockResolvedValueOnce({ picture: null, detections: [], decodeMs: 1, detectMs: 0 });
    await expect(analyze(frame(true))).resolves.toEqual({ detections: [], analyzed: false, picture: undefined, decodeMs: 1, detectMs: 0 });
    await expect(analyze(frame(false))).resolves.toMatchObject({ analyzed: true });
    await expect(analyze(frame(false))).resolves.toMatchObject({ analyzed: false, notSampled: true });
    expect(streams[0]!.decodeAndDetect).toHaveBeenCalledTimes(2);
  });

  it('close() before any frame opens nothing', () => {
    const { analyzer, openStream } = setup();
    analyzer.close();
    expect(openStream).not.toHaveBeenCalled();
  });
});
