import { POLL_INTERVAL_MS, pollSession } from '../../src/web/sessionPoller';

/** The page's poll of its own session record, with fetch replaced: what it does on each answer. */
describe('pollSession (the page reads its own session record)', () => {
  let fetchSpy: jest.SpyInstance;

  afterEach(() => {
    fetchSpy.mockRestore();
    jest.useRealTimers();
  });

  it.each([401, 403])('stops after one %i and says so once: no retry loop, no token form', async (status) => {
    jest.useFakeTimers();
    fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response('{}', { status }));
    const errors: string[] = [];
    const poller = pollSession('s1', () => undefined, (message) => errors.push(message));
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 10);
    poller.stop();
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    expect(errors).toEqual([expect.stringMatching(new RegExp(`may not read the session record \\(${status}\\)`))]);
  });

  it('keeps polling a readable record until it is Released', async () => {
    jest.useFakeTimers();
    const states = ['Active', 'Active', 'Released'];
    fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation(async () => Response.json({ state: states.shift() ?? 'Released' }));
    const seen: string[] = [];
    const poller = pollSession('s1', (record) => seen.push(record.state), () => undefined);
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 10);
    poller.stop();
    expect(seen).toEqual(['Active', 'Active', 'Released']);
    expect(fetchSpy).toHaveBeenCalledTimes(3);
  });
});
