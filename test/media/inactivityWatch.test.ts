import { InactivityWatch } from '../../src/media/inactivityWatch';

describe('InactivityWatch', () => {
  let clock = 0;
  const now = () => clock;
  const advance = (ms: number) => {
    clock += ms;
    jest.advanceTimersByTime(ms);
  };

  beforeEach(() => {
    jest.useFakeTimers();
    clock = 0;
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('fires once after the timeout without a touch, and not while touched', () => {
    const fired = jest.fn();
    const watch = new InactivityWatch(1000, fired, now);
    for (let i = 0; i < 5; i++) {
      advance(500);
      watch.touch();
    }
    expect(fired).not.toHaveBeenCalled();
    advance(1100);
    advance(5000);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('waits while `holds` says so, asked with how long the track has been silent', () => {
    const fired = jest.fn();
    const asked: number[] = [];
    const watch = new InactivityWatch(1000, fired, now, (inactiveFor) => {
      asked.push(inactiveFor);
      return inactiveFor < 3000;
    });
    advance(2500);
    expect(fired).not.toHaveBeenCalled();
    expect(Math.min(...asked)).toBeGreaterThanOrEqual(1000);
    advance(600);
    expect(fired).toHaveBeenCalledTimes(1);
    watch.close();
  });
});
