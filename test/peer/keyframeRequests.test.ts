import { KeyframeRequests } from '../../src/peer/keyframeRequests';

const INTERVAL_MS = 1000;

/** Requests on a clock the test sets: `at(t)` asks at time t and says whether a request went out. */
function setup(start = 0) {
  let clock = start;
  const send = jest.fn();
  const requests = new KeyframeRequests(INTERVAL_MS, send, () => clock);
  const at = (time: number): boolean => {
    clock = time;
    return requests.request();
  };
  return { send, at };
}

describe('KeyframeRequests', () => {
  it('sends the first request at once', () => {
    const { send, at } = setup();
    expect(at(0)).toBe(true);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('sends at most one request per interval on the injected clock', () => {
    const { send, at } = setup();
    // A decoder waiting for a keyframe asks on every frame, 30 frames a second, for 2.5 s.
    const answers = Array.from({ length: 75 }, (_, frame) => at(5_000 + (frame * 1000) / 30));
    expect(send).toHaveBeenCalledTimes(3);
    expect(answers.filter(Boolean)).toHaveLength(3);
    expect(answers.slice(0, 2)).toEqual([true, false]);
    expect(answers[30]).toBe(true);
  });

  it('refuses just before the interval ends and sends exactly when it ends', () => {
    const { send, at } = setup();
    expect([at(0), at(999), at(1000), at(1999), at(2000)]).toEqual([true, false, true, false, true]);
    expect(send).toHaveBeenCalledTimes(3);
  });

  it('counts the interval from the last request sent, not from refused ones', () => {
    const { at } = setup();
    expect([at(0), at(900), at(1000)]).toEqual([true, false, true]);
  });

  it('uses Date.now by default (fake timers move it)', () => {
    jest.useFakeTimers({ now: 10_000 });
    try {
      const send = jest.fn();
      const requests = new KeyframeRequests(INTERVAL_MS, send);
      expect(requests.request()).toBe(true);
      jest.advanceTimersByTime(999);
      expect(requests.request()).toBe(false);
      jest.advanceTimersByTime(1);
      expect(requests.request()).toBe(true);
      expect(send).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
