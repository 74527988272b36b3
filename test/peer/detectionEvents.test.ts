import { DetectionEvents, type DetectionEvent } from '../../src/peer/detectionEvents';

const INTERVAL_MS = 500;

const event = (frameTimestamp: number): DetectionEvent => ({
  track_id: 'video',
  frame_timestamp: frameTimestamp,
  detections: [{ label: 'wound', score: 1, bbox: [frameTimestamp, 0, 10, 10] }],
});

const START = 1_000_000;

/** Event 1 sent at once, then the event of `frameTimestamp` one interval later. */
const firstThenDelayed = (frameTimestamp: number) => [
  [START, 1],
  [START + INTERVAL_MS, frameTimestamp],
];

/** Nothing more is sent until `ms` have passed, and then the delayed event goes out. */
function heldFor(ms: number, sent: unknown[]): void {
  jest.advanceTimersByTime(ms - 1);
  expect(sent).toHaveLength(1);
  jest.advanceTimersByTime(1);
}

/** Sent events' frame timestamps, with the fake clock at which each went out. */
function setup() {
  const sent: Array<[at: number, frameTimestamp: number]> = [];
  const events = new DetectionEvents(INTERVAL_MS, (e) => sent.push([jest.now(), e.frame_timestamp]), () => jest.now());
  return { events, sent };
}

describe('DetectionEvents', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: START });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('sends the first event at once', () => {
    const { events, sent } = setup();
    events.offer(event(1));
    expect(sent).toEqual([[START, 1]]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('coalesces 5 offers in one interval into one immediate and one delayed event carrying the newest', () => {
    const { events, sent } = setup();
    for (let i = 1; i <= 5; i++) {
      events.offer(event(i));
      jest.advanceTimersByTime(50);
    }
    expect(sent).toEqual([[START, 1]]);
    heldFor(INTERVAL_MS - 250, sent);
    expect(sent).toEqual(firstThenDelayed(5));
    jest.advanceTimersByTime(10 * INTERVAL_MS);
    expect(sent).toHaveLength(2);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('never sends two events less than an interval apart under a steady stream of offers', () => {
    const { events, sent } = setup();
    for (let t = 0; t < 3000; t += 33) {
      events.offer(event(t));
      jest.advanceTimersByTime(33);
    }
    jest.advanceTimersByTime(INTERVAL_MS);
    const gaps = sent.slice(1).map(([at], i) => at - sent[i]![0]);
    expect(gaps.every((gap) => gap >= INTERVAL_MS)).toBe(true);
    expect(sent.length).toBeGreaterThanOrEqual(6);
    // The last offer is not lost: it went out in the final delayed event.
    expect(sent[sent.length - 1]![1]).toBe(2970);
  });

  it.each([
    ['at once when a whole interval has passed', INTERVAL_MS, 0],
    ['after what is left of the interval', 400, 100],
  ])('sends an offer after the last event %s', (_, offeredAfterMs, waitMs) => {
    const { events, sent } = setup();
    events.offer(event(1));
    jest.advanceTimersByTime(offeredAfterMs);
    events.offer(event(2));
    if (waitMs > 0) heldFor(waitMs, sent);
    expect(sent).toEqual(firstThenDelayed(2));
  });

  it('close() drops the waiting event and cancels its timer; later offers are ignored', () => {
    const { events, sent } = setup();
    events.offer(event(1));
    events.offer(event(2));
    expect(jest.getTimerCount()).toBe(1);
    events.close();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(10 * INTERVAL_MS);
    events.offer(event(3));
    jest.advanceTimersByTime(10 * INTERVAL_MS);
    expect(sent).toEqual([[START, 1]]);
    expect(() => events.close()).not.toThrow();
  });

  it('uses the injected clock for the interval', () => {
    let clock = 0;
    const sent: number[] = [];
    const events = new DetectionEvents(INTERVAL_MS, (e) => sent.push(e.frame_timestamp), () => clock);
    events.offer(event(1));
    clock = INTERVAL_MS;
    events.offer(event(2));
    expect(sent).toEqual([1, 2]);
  });
});
