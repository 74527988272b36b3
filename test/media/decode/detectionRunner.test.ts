import { DetectionRunner, type DetectionResult } from '../../../src/media/decode/detectionRunner';
import type { Detection, Detector } from '../../../src/media/detectors/detector';
import type { I420Frame } from '../../../src/media/i420Frame';

const DEADLINE_MS = 100;

/** A 2x2 picture told apart by its width. */
const picture = (id: number): I420Frame => ({ width: id, height: 2, y: new Uint8Array(2 * id), u: new Uint8Array(1), v: new Uint8Array(1) });
const found = (id: number): Detection[] => [{ label: `frame ${id}`, score: 1, bbox: [0, 0, 1, 1] }];

/** An asynchronous detector whose answers the test gives, one pending call per picture. */
function heldDetector(concurrency?: number) {
  const calls: Array<{ id: number; answer: (detections: Detection[]) => void; fail: (error: Error) => void }> = [];
  let pending = 0;
  let mostPending = 0;
  const detector: Detector = {
    name: 'held',
    concurrency,
    detect: (frame) =>
      new Promise<Detection[]>((resolve, reject) => {
        mostPending = Math.max(mostPending, ++pending);
        const done = () => pending--;
        calls.push({ id: frame.width, answer: (d) => (done(), resolve(d)), fail: (e) => (done(), reject(e)) });
      }),
  };
  return { detector, calls, mostPending: () => mostPending };
}

/** What each run gave, by picture id, as soon as it settles. */
function recorder() {
  const results = new Map<number, DetectionResult>();
  const order: number[] = [];
  const record = (id: number, run: Promise<DetectionResult>) =>
    void run.then((result) => {
      results.set(id, result);
      order.push(id);
    });
  return { results, order, record };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('DetectionRunner, synchronous detector', () => {
  it('detects in the caller\'s turn, with no timer, and answers with the time it took', async () => {
    const detect = jest.fn((frame: I420Frame) => found(frame.width));
    const runner = new DetectionRunner({ name: 'sync', detect }, DEADLINE_MS);
    const result = runner.run(picture(7));
    expect(detect).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
    await expect(result).resolves.toEqual({ ok: true, detections: found(7), detectMs: expect.any(Number) });
  });

  it('turns a throw into analysis_error and goes on', async () => {
    let calls = 0;
    const runner = new DetectionRunner({ name: 'sync', detect: (frame) => (calls++ === 0 ? (() => { throw new Error('bad frame'); })() : found(frame.width)) }, DEADLINE_MS);
    await expect(runner.run(picture(1))).resolves.toEqual({ ok: false, reason: 'analysis_error', error: 'bad frame' });
    await expect(runner.run(picture(2))).resolves.toMatchObject({ ok: true, detections: found(2) });
  });
});

describe('DetectionRunner, asynchronous detector', () => {
  it('answers what the detector found, with the time from run() to the answer', async () => {
    const { detector, calls } = heldDetector();
    const runner = new DetectionRunner(detector, DEADLINE_MS);
    const { results, record } = recorder();
    record(1, runner.run(picture(1)));
    await jest.advanceTimersByTimeAsync(30);
    calls[0]!.answer(found(1));
    await jest.advanceTimersByTimeAsync(0);
    expect(results.get(1)).toEqual({ ok: true, detections: found(1), detectMs: 30 });
    expect(jest.getTimerCount()).toBe(0);
  });

  it('drops a frame whose answer misses the deadline as analysis_timeout, and ignores the late answer', async () => {
    const { detector, calls } = heldDetector();
    const runner = new DetectionRunner(detector, DEADLINE_MS);
    const { results, record } = recorder();
    record(1, runner.run(picture(1)));
    await jest.advanceTimersByTimeAsync(DEADLINE_MS - 1);
    expect(results.has(1)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(results.get(1)).toEqual({ ok: false, reason: 'analysis_timeout', error: `no detection within ${DEADLINE_MS} ms` });
    calls[0]!.answer(found(1));
    await jest.advanceTimersByTimeAsync(0);
    expect(results.get(1)).toMatchObject({ reason: 'analysis_timeout' });
  });

  it('drops as analysis_timeout an answer that works synchronously inside its Promise past the deadline (before the timer could fire)', async () => {
    // As onnxruntime-node does: the model runs in a setImmediate, blocking, then the Promise resolves.
    jest.useRealTimers();
    const blocking: Detector = {
      name: 'blocking',
      detect: (frame) =>
        new Promise((resolve) =>
          setImmediate(() => {
            const until = performance.now() + 30;
            while (performance.now() < until);
            resolve(found(frame.width));
          }),
        ),
    };
    const runner = new DetectionRunner(blocking, 10);
    const result = await runner.run(picture(1));
    expect(result).toMatchObject({ ok: false, reason: 'analysis_timeout', error: expect.stringMatching(/no detection within 10 ms \(it came after \d+ ms\)/) });
    // Within its deadline the same detector's answer counts.
    expect(await new DetectionRunner(blocking, 1000).run(picture(2))).toMatchObject({ ok: true, detections: found(2) });
  });

  it('turns a rejection into analysis_error', async () => {
    const { detector, calls } = heldDetector();
    const runner = new DetectionRunner(detector, DEADLINE_MS);
    const run = runner.run(picture(1));
    calls[0]!.fail(new Error('model crashed'));
    await expect(run).resolves.toEqual({ ok: false, reason: 'analysis_error', error: 'model crashed' });
  });

  it('has at most `concurrency` calls pending, gives pictures in order, and counts the wait in the deadline', async () => {
    const { detector, calls, mostPending } = heldDetector(2);
    const runner = new DetectionRunner(detector, DEADLINE_MS);
    const { results, record } = recorder();
    for (const id of [1, 2, 3, 4]) record(id, runner.run(picture(id)));
    expect(calls.map((call) => call.id)).toEqual([1, 2]);

    await jest.advanceTimersByTimeAsync(40);
    calls[1]!.answer(found(2));
    await jest.advanceTimersByTimeAsync(0);
    // 3 takes the slot 2 left, 40 ms into its deadline.
    expect(calls.map((call) => call.id)).toEqual([1, 2, 3]);
    await jest.advanceTimersByTimeAsync(59);
    calls[2]!.answer(found(3));
    await jest.advanceTimersByTimeAsync(0);
    expect(results.get(3)).toEqual({ ok: true, detections: found(3), detectMs: 99 });

    // 4 took 3's slot 1 ms before its deadline; neither it nor 1 answers in time.
    expect(calls.map((call) => call.id)).toEqual([1, 2, 3, 4]);
    await jest.advanceTimersByTimeAsync(1);
    expect(results.get(1)).toMatchObject({ reason: 'analysis_timeout' });
    expect(results.get(4)).toMatchObject({ reason: 'analysis_timeout' });
    expect(mostPending()).toBe(2);
  });

  it('keeps the slot of a timed-out call until its Promise settles, then serves the next picture', async () => {
    const { detector, calls, mostPending } = heldDetector(1);
    const runner = new DetectionRunner(detector, DEADLINE_MS);
    const { results, record } = recorder();
    record(1, runner.run(picture(1)));
    await jest.advanceTimersByTimeAsync(DEADLINE_MS);
    expect(results.get(1)).toMatchObject({ reason: 'analysis_timeout' });

    // 1 still holds the only slot: 2 waits, then 1 answers (late, ignored) and 2 is detected.
    record(2, runner.run(picture(2)));
    await jest.advanceTimersByTimeAsync(10);
    expect(calls.map((call) => call.id)).toEqual([1]);
    calls[0]!.answer(found(1));
    await jest.advanceTimersByTimeAsync(0);
    expect(calls.map((call) => call.id)).toEqual([1, 2]);
    calls[1]!.answer(found(2));
    await jest.advanceTimersByTimeAsync(0);
    expect(results.get(2)).toEqual({ ok: true, detections: found(2), detectMs: 10 });
    expect(mostPending()).toBe(1);
  });

  it('with a detector that never answers, times out every frame, each once, and never calls it beyond its slots', async () => {
    const { detector, calls } = heldDetector(2);
    const runner = new DetectionRunner(detector, DEADLINE_MS);
    const { results, order, record } = recorder();
    for (let id = 1; id <= 10; id++) {
      record(id, runner.run(picture(id)));
      await jest.advanceTimersByTimeAsync(30);
    }
    await jest.advanceTimersByTimeAsync(DEADLINE_MS);
    expect(order).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect([...results.values()].every((result) => !result.ok && result.reason === 'analysis_timeout')).toBe(true);
    expect(calls).toHaveLength(2);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('DetectionRunner, when the detector is done with a picture', () => {
  it('says so after a synchronous detector returns or throws, before the result is out', async () => {
    const events: string[] = [];
    const runner = new DetectionRunner({ name: 'sync', detect: () => (events.push('detect'), []) }, DEADLINE_MS);
    const result = runner.run(picture(1), () => events.push('done'));
    expect(events).toEqual(['detect', 'done']);
    await result;
    const throwing = new DetectionRunner({ name: 'throws', detect: () => { throw new Error('no'); } }, DEADLINE_MS);
    let done = false;
    await throwing.run(picture(2), () => (done = true));
    expect(done).toBe(true);
  });

  it('waits for an asynchronous detector to settle, even after the deadline; a picture never seen is done at once', async () => {
    jest.useFakeTimers();
    try {
      const { detector, calls } = heldDetector(1);
      const runner = new DetectionRunner(detector, DEADLINE_MS);
      const done: number[] = [];
      const first = runner.run(picture(1), () => done.push(1));
      const second = runner.run(picture(2), () => done.push(2));
      await jest.advanceTimersByTimeAsync(DEADLINE_MS);
      // Both timed out; the detector still reads picture 1, never saw picture 2.
      await expect(first).resolves.toMatchObject({ reason: 'analysis_timeout' });
      await expect(second).resolves.toMatchObject({ reason: 'analysis_timeout' });
      expect(done).toEqual([]);
      calls[0]!.answer([]);
      await jest.advanceTimersByTimeAsync(0);
      // Picture 1 is free now; picture 2's turn came and went without the detector.
      expect(done).toEqual([1, 2]);
      expect(calls).toHaveLength(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
