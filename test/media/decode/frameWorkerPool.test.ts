import { createLogger, type Logger } from '../../../src/logger';
import { FrameWorkerPool, type DecodingStream, type FrameOutcome } from '../../../src/media/decode/frameWorkerPool';
import type { DecoderBackendName } from '../../../src/media/decode/videoDecoders';
import { SQUARE, garbage, h264AccessUnits, vp8Frames, type EncodedFrame } from '../../fixtures/decode/encodedFixtures';
import { FrameDropped, isError } from '../../../src/errors';

const logger = createLogger({ level: 'error', format: 'json', silent: true });
const JOB_TIMEOUT_MS = 20_000;

const newPool = (size: number, decoder?: DecoderBackendName): FrameWorkerPool =>
  new FrameWorkerPool({ size, decoder, jobTimeoutMs: JOB_TIMEOUT_MS, detector: 'colour-region', detectorOptions: {}, logger });

const vp8 = vp8Frames();
const h264 = h264AccessUnits();
const BOX = [SQUARE.x, SQUARE.y, SQUARE.width, SQUARE.height];

/** The outcome is a 640x480 picture with one detection: the red square's box, to 4 pixels. */
function expectSquareFound(outcome: FrameOutcome): void {
  expect(outcome.picture).toEqual({ width: 640, height: 480 });
  expect(outcome.detections).toHaveLength(1);
  const [detection] = outcome.detections;
  expect(detection!.label).toBe('wound');
  detection!.bbox.forEach((value, i) => {
    if (Math.abs(value - BOX[i]!) > 4) throw new Error(`box ${JSON.stringify(detection!.bbox)} is not within 4 px of ${JSON.stringify(BOX)}`);
  });
  expect(outcome.decodeMs).toBeGreaterThanOrEqual(0);
  expect(outcome.detectMs).toBeGreaterThanOrEqual(0);
}

const send = (stream: DecodingStream, frame: EncodedFrame): Promise<FrameOutcome> => stream.decodeAndDetect(frame.data, frame.keyframe);

/** The reason a job was dropped with (fails on any other outcome). */
async function dropReason(job: Promise<unknown>): Promise<string> {
  const error = await job.then(
    () => new Error('the job succeeded'),
    (error: unknown) => error,
  );
  if (!(isError(error, 'FrameDropped'))) throw error;
  return error.reason;
}

/**
 * Posts frames with the job timers faked, then lets JOB_TIMEOUT_MS pass on them: the timers run
 * out before any reply can arrive (replies come through the event loop), as if the worker hung.
 */
function timingOut<T>(post: () => T): T {
  jest.useFakeTimers({
    doNotFake: ['Date', 'hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval'],
  });
  try {
    const posted = post();
    jest.advanceTimersByTime(JOB_TIMEOUT_MS);
    return posted;
  } finally {
    jest.useRealTimers();
  }
}

/** Threads and their ports: a running worker shows as a MessagePort in Node 20. */
const workerResources = (): number =>
  process.getActiveResourcesInfo().filter((kind) => kind === 'MessagePort' || kind === 'Worker').length;

// The native decoders (the default) and the WebAssembly ones (the fallback, DECODER=wasm).
describe.each(['native', 'wasm'] as const)('FrameWorkerPool decoding with the %s decoders', (decoder) => {
  let pool: FrameWorkerPool;

  beforeAll(() => {
    pool = newPool(2, decoder);
  });

  afterAll(async () => {
    await pool.close();
  });

  it('decodes the VP8 fixture and finds the red square in every frame', async () => {
    const stream = pool.openStream('VP8', () => {});
    expect(stream.codec).toBe('VP8');
    for (const frame of vp8) expectSquareFound(await send(stream, frame));
    stream.close();
  });

  it('decodes the H264 fixture and finds the red square in every frame', async () => {
    const stream = pool.openStream('H264', () => {});
    for (const frame of h264) expectSquareFound(await send(stream, frame));
    stream.close();
  });

  it('keeps each stream on one worker: interleaved streams, more than workers, all decode their delta frames', async () => {
    const streams = [pool.openStream('VP8', () => {}), pool.openStream('H264', () => {}), pool.openStream('VP8', () => {})];
    const framesOf = (stream: DecodingStream) => (stream.codec === 'VP8' ? vp8 : h264);
    for (let i = 0; i < 10; i++) {
      // Every stream's frame i in flight at once, on both workers.
      const outcomes = await Promise.all(streams.map((stream) => send(stream, framesOf(stream)[i]!)));
      outcomes.forEach(expectSquareFound);
    }
    streams.forEach((stream) => stream.close());
  });

  it.each([
    ['VP8', vp8],
    ['H264', h264],
  ] as const)('decode() decodes a %s frame without the detector (a picture, no detections), and the frames after it decode from it', async (codec, frames) => {
    const stream = pool.openStream(codec, () => {});
    expectSquareFound(await send(stream, frames[0]!));
    for (const frame of frames.slice(1, 6)) {
      const outcome = await stream.decode(frame.data, frame.keyframe);
      expect(outcome).toMatchObject({ picture: { width: 640, height: 480 }, detections: [], detectMs: 0 });
    }
    expectSquareFound(await send(stream, frames[6]!));
    stream.close();
  });

  it('answers a stream frames in order, several in flight', async () => {
    const stream = pool.openStream('VP8', () => {});
    const outcomes = await Promise.all(vp8.map((frame) => send(stream, frame)));
    outcomes.forEach(expectSquareFound);
    stream.close();
  });

  it('drops an undecodable frame as decode_error and decodes again from the next keyframe', async () => {
    const stream = pool.openStream('VP8', () => {});
    expectSquareFound(await send(stream, vp8[0]!));
    await expect(dropReason(stream.decodeAndDetect(garbage(3000), false))).resolves.toBe('decode_error');
    expectSquareFound(await send(stream, vp8[0]!));
    expectSquareFound(await send(stream, vp8[1]!));
    stream.close();
  });

  it('drops an H264 access unit over 1 MiB of nothing as decode_error, naming the decoder\'s complaint', async () => {
    const stream = pool.openStream('H264', () => {});
    const huge = Buffer.concat([Buffer.from([0, 0, 0, 1, 0x65]), Buffer.alloc(1024 * 1024)]);
    const error = await stream.decodeAndDetect(huge, true).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FrameDropped);
    // h264bsd's input buffer is 1 MiB; OpenH264 takes any size and rejects the empty slice.
    const complaint = decoder === 'wasm' ? /1 MiB/ : /^openh264: access unit rejected/;
    expect(error).toMatchObject({ reason: 'decode_error', message: expect.stringMatching(complaint) });
    expectSquareFound(await send(stream, h264[0]!));
    stream.close();
  });

  it('refuses frames of a closed stream as worker_restarted, and close() is idempotent', async () => {
    const stream = pool.openStream('VP8', () => {});
    expectSquareFound(await send(stream, vp8[0]!));
    stream.close();
    stream.close();
    await expect(dropReason(send(stream, vp8[1]!))).resolves.toBe('worker_restarted');
  });
});

describe('FrameWorkerPool job timeout', () => {
  it('drops the hung frame as analysis_timeout, the other frames on its worker as worker_restarted, and replaces the worker', async () => {
    const pool = newPool(2);
    const warn = jest.spyOn(logger, 'warn');
    try {
      const lost = { a: jest.fn(), b: jest.fn(), c: jest.fn() };
      // Least loaded first: a and c share the first worker, b has the second.
      const a = pool.openStream('VP8', lost.a);
      const b = pool.openStream('VP8', lost.b);
      const c = pool.openStream('H264', lost.c);
      await Promise.all([send(a, vp8[0]!), send(b, vp8[0]!), send(c, h264[0]!)]);

      // a's frame is the first to run out of time; c's frame is caught on the same worker.
      const [hung, bystander] = timingOut(() => [send(a, vp8[1]!), send(c, h264[1]!)]);
      await expect(dropReason(hung)).resolves.toBe('analysis_timeout');
      await expect(dropReason(bystander)).resolves.toBe('worker_restarted');
      expect(lost.a).toHaveBeenCalledTimes(1);
      expect(lost.c).toHaveBeenCalledTimes(1);
      expect(lost.b).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledWith('Frame worker replaced', expect.objectContaining({ streams: 2 }));

      // The replacement decodes the moved streams from their next keyframe; the other worker kept its decoder.
      expectSquareFound(await send(a, vp8[0]!));
      expectSquareFound(await send(a, vp8[1]!));
      expectSquareFound(await send(c, h264[0]!));
      expectSquareFound(await send(c, h264[1]!));
      expectSquareFound(await send(b, vp8[1]!));
      expect(pool.size).toBe(2);
      expect(lost.a).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
      await pool.close();
    }
  });
});

describe('FrameWorkerPool with an asynchronous detector', () => {
  const asyncPool = (detectorOptions: Record<string, number>, detectTimeoutMs: number, size = 1) =>
    new FrameWorkerPool({ size, jobTimeoutMs: JOB_TIMEOUT_MS, detectTimeoutMs, detector: 'delayed-colour-region', detectorOptions, logger });

  it("answers each stream's frames in order while the detector's answers come out of order", async () => {
    // Answers after 5 to 55 ms, 8 pending at once: consecutive frames overtake each other.
    const pool = asyncPool({ delayMs: 30, jitterMs: 25, concurrency: 8 }, 10_000);
    try {
      const streams = [pool.openStream('VP8', () => {}), pool.openStream('H264', () => {})];
      const answered: Array<{ stream: number; frame: number }> = [];
      const outcomes = await Promise.all(
        streams.flatMap((stream, s) =>
          (stream.codec === 'VP8' ? vp8 : h264).map((frame, i) =>
            send(stream, frame).then((outcome) => {
              answered.push({ stream: s, frame: i });
              return outcome;
            }),
          ),
        ),
      );
      outcomes.forEach(expectSquareFound);
      for (const s of [0, 1]) {
        const order = answered.filter((answer) => answer.stream === s).map((answer) => answer.frame);
        expect(order).toEqual([...order.keys()]);
      }
      // The detection time is the detector's delay (and the wait for a slot), apart from decoding.
      expect(Math.min(...outcomes.map((outcome) => outcome.detectMs))).toBeGreaterThanOrEqual(4);
      streams.forEach((stream) => stream.close());
    } finally {
      await pool.close();
    }
  });

  it('drops a frame answered after DETECT_TIMEOUT_MS as analysis_timeout, keeping its worker and decoder', async () => {
    // Every third answer is held until the next frame comes in, which the test sends only once
    // the pool dropped the held one: those answers are late whatever the machine's speed. The
    // other answers are synchronous, which no deadline applies to.
    const pool = asyncPool({ holdEvery: 3, concurrency: 2 }, 40);
    const warn = jest.spyOn(logger, 'warn');
    try {
      const decoderLost = jest.fn();
      const stream = pool.openStream('VP8', decoderLost);
      const results: Array<FrameOutcome | FrameDropped> = [];
      for (const frame of vp8) results.push(await send(stream, frame).catch((error: FrameDropped) => error));

      const droppedAt = results.flatMap((result, i) => (isError(result, 'FrameDropped') ? [i] : []));
      expect(droppedAt).toEqual(vp8.flatMap((_, i) => ((i + 1) % 3 === 0 ? [i] : [])));
      for (const i of droppedAt) {
        expect(results[i]).toMatchObject({ reason: 'analysis_timeout', decoderIntact: true, message: expect.stringMatching(/^no detection within 40 ms/) });
      }
      // The frames after each dropped one still decode to the square: the decoder saw every frame.
      results.forEach((result, i) => {
        if (!droppedAt.includes(i)) expectSquareFound(result as FrameOutcome);
      });
      expect(decoderLost).not.toHaveBeenCalled();
      expect(warn).not.toHaveBeenCalled();
      stream.close();
    } finally {
      warn.mockRestore();
      await pool.close();
    }
  });
});

describe('FrameWorkerPool close', () => {
  it('rejects pending frames, is idempotent, refuses new streams and leaves no worker thread running', async () => {
    const before = workerResources();
    const pool = newPool(2);
    expect(pool.size).toBe(2);
    expect(workerResources()).toBe(before + 2);
    const stream = pool.openStream('VP8', () => {});
    expectSquareFound(await send(stream, vp8[0]!));

    const pending = send(stream, vp8[1]!);
    const closing = [pool.close(), pool.close()];
    await expect(dropReason(pending)).resolves.toBe('worker_restarted');
    await Promise.all(closing);
    await pool.close();

    expect(workerResources()).toBe(before);
    expect(() => pool.openStream('H264', () => {})).toThrow(/closed/);
    await expect(dropReason(send(stream, vp8[1]!))).resolves.toBe('worker_restarted');
    expect(() => stream.close()).not.toThrow();
  });

  it('leaves no worker thread running after a worker was replaced', async () => {
    const before = workerResources();
    const pool = newPool(1);
    const stream = pool.openStream('VP8', () => {});
    expectSquareFound(await send(stream, vp8[0]!));
    const hung = timingOut(() => send(stream, vp8[1]!));
    await expect(dropReason(hung)).resolves.toBe('analysis_timeout');
    expectSquareFound(await send(stream, vp8[0]!));
    await pool.close();
    // The hung worker's termination was not awaited by the pool: give it a moment.
    for (let i = 0; i < 50 && workerResources() > before; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(workerResources()).toBe(before);
  });
});

describe('FrameWorkerPool workers that cannot start', () => {
  it('stops replacing workers that die before their first answer, and fails their frames instead', async () => {
    const entries: Array<{ level: string; message: string }> = [];
    const record = (level: string) => (message: string) => entries.push({ level, message });
    const watched = { warn: record('warn'), error: record('error') } as unknown as Logger;
    // Configuration checks the detector at start; a pool made directly can be given a bad one.
    const pool = new FrameWorkerPool({ detector: 'no-such-detector', detectorOptions: {}, jobTimeoutMs: JOB_TIMEOUT_MS, size: 1, logger: watched });
    try {
      const stream = pool.openStream('VP8', () => {});
      for (let i = 0; i < 100 && !entries.some((entry) => entry.level === 'error'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(entries.filter((entry) => entry.message === 'Frame worker replaced')).toHaveLength(3);
      expect(entries.filter((entry) => entry.level === 'error').map((entry) => entry.message)).toEqual([
        'Frame workers keep failing before their first frame: no more replacements',
      ]);
      await expect(dropReason(send(stream, vp8[0]!))).resolves.toBe('worker_restarted');
    } finally {
      await pool.close();
    }
  });
});
