import { IdleWait } from '../../src/sessions/idleWait';

describe('IdleWait', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('resolves at once when already idle', async () => {
    await expect(new IdleWait(() => true).wait(10_000)).resolves.toBeUndefined();
  });

  it('resolves when a check finds it idle, not before, and a check while busy wakes nothing', async () => {
    let busy = true;
    const idle = new IdleWait(() => !busy);
    let done = false;
    const waiting = idle.wait(10_000).then(() => (done = true));
    idle.check();
    await Promise.resolve();
    expect(done).toBe(false);
    busy = false;
    idle.check();
    await waiting;
    expect(done).toBe(true);
  });

  it('resolves after the timeout when it never becomes idle, and leaves no timer behind', async () => {
    const idle = new IdleWait(() => false);
    const waiting = idle.wait(500);
    jest.advanceTimersByTime(500);
    await waiting;
    expect(jest.getTimerCount()).toBe(0);
  });
});
