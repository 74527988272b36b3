import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { HalfOpenSessions } from '../../src/http/halfOpenSessions';

/** One offer from `address` through the middleware, answered with `sessionId`. */
function offer(halfOpen: HalfOpenSessions, address: string, sessionId: string): void {
  const res = Object.assign(new EventEmitter(), { statusCode: 200, getHeader: () => undefined, json: (body: unknown) => body });
  halfOpen.middleware()({ ip: address } as Request, res as unknown as Response, () => {
    (res as unknown as Response).json({ session_id: sessionId });
    res.emit('finish');
  });
}

describe('HalfOpenSessions', () => {
  it('forgets addresses whose sessions ended once many are tracked, even if they never offer again', () => {
    const live = new Map<string, { isReleased: boolean; connectionState: string }>();
    const halfOpen = new HalfOpenSessions({ get: (id: string) => live.get(id) } as never, 20);
    for (let i = 0; i < 1024; i++) {
      live.set(`s${i}`, { isReleased: false, connectionState: 'new' });
      offer(halfOpen, `10.0.${i >> 8}.${i & 255}`, `s${i}`);
      live.delete(`s${i}`); // ended before it connected
    }
    expect(halfOpen.trackedAddresses).toBe(1024);
    live.set('last', { isReleased: false, connectionState: 'new' });
    offer(halfOpen, '10.9.9.9', 'last');
    expect(halfOpen.trackedAddresses).toBe(1);
  });
});
