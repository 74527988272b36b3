// No connection is made here (the media side is a fake), so werift, which PeerSession reaches
// through its negotiation helpers and which takes seconds to load, is left out: the mutation
// run (stryker.config.mjs) loads this file once per mutant of the machine and the close path.
jest.mock('werift', () => ({}));

import type { InspectionEvent } from 'xstate';
import type { PeerSessionEvent, TrackRecord } from '../../machines/peerSession.types';
import type { CountersSummary, SummarySoFar } from '../../src/counters/summary';
import type { Logger } from '../../src/logger';
import type { PeerMediaLink } from '../../src/peer/peerMediaLink';
import { PeerSession } from '../../src/sessions/peerSession';
import type { CloseReason, SessionCounters, StreamClosedEvent } from '../../src/protocol';
import { SessionClosedError } from '../../src/errors';

/**
 * The close path on the main thread with a fake media side: PeerSession runs the machine's
 * effects on its PeerMediaLink, logs them and releases the session. Each effect answers when
 * the test says so; time is jest's fake clock.
 */

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const COUNTERS: SessionCounters = {
  frames_received: 3,
  frames_processed: 2,
  frames_analyzed: 2,
  frames_not_sampled: 0,
  frames_dropped: 1,
  detections: 0,
  audio_frames: 0,
  audio_seconds: 0,
  ignored_client_messages: 0,
  ignored_rtp_packets: 0,
  ignored_rtcp_packets: 0,
};

const COUNTERS_SUMMARY = { total_frames_received: 3, total_frames_processed: 2, total_frames_dropped: 1 } as unknown as CountersSummary;

/** The counters as they stand: 5 received, 2 processed, 1 dropped, 2 neither (in flight). */
const SUMMARY_SO_FAR = {
  total_frames_received: 5,
  total_frames_processed: 2,
  total_frames_dropped: 1,
  dropped_by_reason: { buffer_full: 1 },
  start_time: 1_000_000,
} as unknown as SummarySoFar;

class FakeMedia implements PeerMediaLink {
  readonly location = 'main';
  connectionState = 'connected';
  emit!: (event: PeerSessionEvent) => void;
  readonly calls: string[] = [];
  stopped: string[][] = [];
  freezeCountersArgs: [CloseReason, Record<string, TrackRecord>][] = [];
  emitted: StreamClosedEvent[] = [];
  emitSignals: AbortSignal[] = [];
  answer = deferred<string>();
  stop = deferred<void>();
  closing = deferred<CountersSummary>();
  emitting = deferred<void>();
  closingConnection = deferred<void>();
  announceError: Error | null = null;

  counters(): SessionCounters {
    return COUNTERS;
  }
  summarySoFar(): SummarySoFar {
    this.calls.push('summarySoFar');
    return SUMMARY_SO_FAR;
  }
  negotiate(): Promise<string> {
    this.calls.push('negotiate');
    return this.answer.promise;
  }
  updateIce(): Promise<never> {
    this.calls.push('updateIce');
    return new Promise(() => {});
  }
  announce(): void {
    this.calls.push('announce');
    if (this.announceError) throw this.announceError;
  }
  stopProcessors(trackIds: string[]): Promise<void> {
    this.stopped.push(trackIds);
    return this.stop.promise;
  }
  freezeCounters(closeReason: CloseReason, tracks: Record<string, TrackRecord>): Promise<CountersSummary> {
    this.freezeCountersArgs.push([closeReason, tracks]);
    return this.closing.promise;
  }
  emitSummary(event: StreamClosedEvent, signal: AbortSignal): Promise<void> {
    this.emitted.push(event);
    this.emitSignals.push(signal);
    return this.emitting.promise;
  }
  closeConnection(): Promise<void> {
    this.calls.push('closeConnection');
    return this.closingConnection.promise;
  }
  transportsClosed(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  meta?: unknown;
}

function recordingLogger(lines: LogLine[], children: unknown[] = []): Logger {
  const logger = {
    child: (meta: unknown) => {
      children.push(meta);
      return logger;
    },
    info: (message: string, meta?: unknown) => lines.push({ level: 'info', message, meta }),
    warn: (message: string, meta?: unknown) => lines.push({ level: 'warn', message, meta }),
    error: (message: string, meta?: unknown) => lines.push({ level: 'error', message, meta }),
  };
  return logger as unknown as Logger;
}

const TIMEOUTS = { stopTimeout: 200, closeTimeout: 300, emitTimeout: 400, cleanupTimeout: 500 };

function open({ inspect }: { inspect?: (event: InspectionEvent) => void } = {}) {
  const media = new FakeMedia();
  const lines: LogLine[] = [];
  const children: unknown[] = [];
  const untracked: PeerSession[] = [];
  const session = new PeerSession({
    id: 'sess-1',
    timeouts: TIMEOUTS,
    logger: recordingLogger(lines, children),
    inspect,
    openMedia: ({ id, emit }) => {
      expect(id).toBe('sess-1');
      media.emit = emit;
      return media;
    },
    untrack: (s) => untracked.push(s),
  });
  return { session, media, lines, untracked, children };
}

/** Lets settled promises run their continuations (the actor's effects answer in microtasks). */
const settle = () => jest.advanceTimersByTimeAsync(0);

beforeEach(() => {
  jest.useFakeTimers({ now: 1_000_000 });
});

afterEach(() => {
  jest.useRealTimers();
});

describe('PeerSession close path (fake media side)', () => {
  test('runs every effect on the media side, in order, and resolves released with the summary', async () => {
    const { session, media, lines, untracked } = open();
    media.emit({ type: 'TRACK_ADDED', trackId: 'v', kind: 'video' });
    media.emit({ type: 'DATA_CHANNEL_OPENED' });
    expect(media.calls).toEqual(['announce']);
    expect(session.state).toBe('Active');
    expect(session.isReleased).toBe(false);
    expect(session.teardownSeconds).toBeNull();

    await jest.advanceTimersByTimeAsync(1000);
    media.emit({ type: 'TRACK_ENDED', trackId: 'v', reason: 'transceiver_stopped' });
    expect(lines).toContainEqual({ level: 'info', message: 'Track ended', meta: { track_id: 'v', kind: 'video', reason: 'transceiver_stopped' } });
    expect(session.state).toBe('StoppingProcessor');
    expect(media.stopped).toEqual([['v']]);

    await jest.advanceTimersByTimeAsync(50);
    media.stop.resolve();
    await settle();
    expect(session.state).toBe('ClosingSession');
    expect(media.freezeCountersArgs).toEqual([['tracks_ended', { v: { kind: 'video', status: 'stopped', endReason: 'transceiver_stopped' } }]]);

    await jest.advanceTimersByTimeAsync(30);
    media.closing.resolve(COUNTERS_SUMMARY);
    await settle();
    expect(session.state).toBe('EmittingSummary');
    // The summary counts the time spent in each closing state up to the end of ClosingSession.
    const summary = { ...COUNTERS_SUMMARY, close_ms_by_state: { TrackEnding: 0, StoppingProcessor: 50, ClosingSession: 30 } };
    expect(media.emitted).toEqual([{ event_type: 'stream_closed', session_id: 'sess-1', reason: 'tracks_ended', summary }]);
    expect(media.emitSignals[0]).toBeInstanceOf(AbortSignal);

    media.emitting.resolve();
    await settle();
    expect(session.state).toBe('Cleanup');
    expect(untracked).toEqual([session]);
    expect(media.calls).toEqual(['announce', 'closeConnection']);

    await jest.advanceTimersByTimeAsync(20);
    media.closingConnection.resolve();
    await expect(session.released).resolves.toEqual(summary);
    expect(session.state).toBe('Released');
    expect(session.isReleased).toBe(true);
    expect(lines).toContainEqual({ level: 'info', message: 'Peer connection closed, session_id: sess-1', meta: undefined });
    // Closing started when the last live track ended, not when the session opened.
    expect(session.teardownSeconds).toBe(0.1);
    expect(lines.filter((line) => line.level !== 'info')).toEqual([]);
  });

  test('close() asks once for the default reason; later requests join the same path and the first reason is reported', async () => {
    const { session, media, lines } = open();
    media.emit({ type: 'TRACK_ADDED', trackId: 'v', kind: 'video' });
    const released = session.close();
    expect(lines).toContainEqual({ level: 'info', message: 'Session close requested', meta: { event: 'CLOSE_REQUESTED' } });
    expect(session.close('SHUTDOWN')).toBe(released);
    media.stop.resolve();
    await settle();
    expect(media.freezeCountersArgs.map(([reason]) => reason)).toEqual(['client_request']);
    media.closing.resolve(COUNTERS_SUMMARY);
    media.closingConnection.resolve();
    await settle();
    // No data channel: nothing is emitted, the session is released with its summary.
    expect(media.emitted).toEqual([]);
    await expect(released).resolves.toMatchObject({ total_frames_received: 3 });
    expect(session.view()).toMatchObject({ reason: 'client_request', state: 'Released' });
  });

  test.each([
    ['SHUTDOWN', 'server_shutdown'],
    ['PEER_CLOSED', 'peer_closed'],
  ] as const)('close(%s) closes for %s', async (event, reason) => {
    const { session, media } = open();
    void session.close(event);
    await settle();
    expect(media.freezeCountersArgs.map(([r]) => r)).toEqual([reason]);
  });

  test('a session with no track that is asked to close starts its teardown clock at the request', async () => {
    const { session, media } = open();
    await jest.advanceTimersByTimeAsync(5000);
    void session.close();
    await jest.advanceTimersByTimeAsync(40);
    media.closing.resolve(COUNTERS_SUMMARY);
    await settle();
    media.closingConnection.resolve();
    await session.released;
    expect(session.teardownSeconds).toBe(0.04);
  });

  test('with a track still live after another ended, closing starts when the last live track ends', async () => {
    const { session, media } = open();
    media.emit({ type: 'TRACK_ADDED', trackId: 'v', kind: 'video' });
    media.emit({ type: 'TRACK_ADDED', trackId: 'a', kind: 'audio' });
    media.emit({ type: 'TRACK_ENDED', trackId: 'v', reason: 'inactivity' });
    await jest.advanceTimersByTimeAsync(100);
    media.stop.resolve();
    await settle();
    expect(session.state).toBe('Active');
    await jest.advanceTimersByTimeAsync(2000);
    media.stop = deferred<void>();
    media.emit({ type: 'TRACK_ENDED', trackId: 'a', reason: 'inactivity' });
    await jest.advanceTimersByTimeAsync(10);
    media.stop.resolve();
    await settle();
    media.closing.resolve(COUNTERS_SUMMARY);
    await settle();
    media.closingConnection.resolve();
    await session.released;
    expect(media.stopped).toEqual([['v'], ['a']]);
    expect(session.teardownSeconds).toBe(0.01);
  });

  test("effects bounded by the config's timeouts: each one that hangs is a fault, logged, and the session is still released", async () => {
    const { session, media, lines, untracked } = open();
    media.emit({ type: 'TRACK_ADDED', trackId: 'v', kind: 'video' });
    media.emit({ type: 'DATA_CHANNEL_OPENED' });
    void session.close();
    await jest.advanceTimersByTimeAsync(TIMEOUTS.stopTimeout - 1);
    expect(session.state).toBe('StoppingProcessor');
    await jest.advanceTimersByTimeAsync(1);
    expect(session.state).toBe('ClosingSession');
    await jest.advanceTimersByTimeAsync(TIMEOUTS.closeTimeout - 1);
    expect(session.state).toBe('ClosingSession');
    await jest.advanceTimersByTimeAsync(1);
    // freezeCounters timed out: the summary is made of the counters as they stand, and emitted.
    expect(session.state).toBe('EmittingSummary');
    expect(media.calls).toContain('summarySoFar');
    const partial = media.emitted[0]!.summary;
    expect(partial).toMatchObject({
      partial: true,
      total_frames_received: 5,
      total_frames_processed: 2,
      total_frames_dropped: 3,
      dropped_by_reason: { buffer_full: 1, in_flight_at_close: 2 },
      tracks_ended_by: { client_request: 1 },
    });
    await jest.advanceTimersByTimeAsync(TIMEOUTS.emitTimeout);
    expect(session.state).toBe('Cleanup');
    expect(untracked).toEqual([session]);
    await jest.advanceTimersByTimeAsync(TIMEOUTS.cleanupTimeout - 1);
    expect(session.state).toBe('Cleanup');
    await jest.advanceTimersByTimeAsync(1);
    await expect(session.released).resolves.toEqual(partial);
    expect(session.view().faults).toEqual(['stopProcessors timed out', 'freezeCounters timed out', 'emitSummary timed out', 'closePeerConnection timed out']);
    expect(lines.filter((line) => line.level !== 'info')).toEqual([
      { level: 'warn', message: 'Session effect stopProcessors timed out', meta: undefined },
      { level: 'warn', message: 'Session effect freezeCounters timed out', meta: undefined },
      { level: 'warn', message: 'Session effect emitSummary timed out', meta: undefined },
      { level: 'error', message: 'Error during cleanup: closePeerConnection timed out', meta: undefined },
    ]);
  });

  test('an effect that fails is logged with its error and the flow goes on; emitSummary is bounded by emitTimeout', async () => {
    const { session, media, lines } = open();
    media.emit({ type: 'DATA_CHANNEL_OPENED' });
    void session.close();
    media.closing.resolve(COUNTERS_SUMMARY);
    await settle();
    expect(session.state).toBe('EmittingSummary');
    await jest.advanceTimersByTimeAsync(TIMEOUTS.emitTimeout - 1);
    expect(session.state).toBe('EmittingSummary');
    await jest.advanceTimersByTimeAsync(1);
    expect(session.state).toBe('Cleanup');
    media.closingConnection.reject(new Error('socket gone'));
    await expect(session.released).resolves.toMatchObject({ total_frames_received: 3 });
    expect(lines.filter((line) => line.level !== 'info')).toEqual([
      { level: 'warn', message: 'Session effect emitSummary timed out', meta: undefined },
      { level: 'error', message: 'Error during cleanup: closePeerConnection failed: socket gone', meta: undefined },
    ]);
  });

  test('an action that throws fails the actor: the session is untracked, its connection closed, released with null', async () => {
    const { session, media, lines, untracked } = open();
    media.announceError = new Error('announce broke');
    media.emit({ type: 'DATA_CHANNEL_OPENED' });
    expect(lines).toContainEqual({ level: 'error', message: 'Session actor failed, releasing its resources', meta: { error: 'announce broke' } });
    expect(untracked).toEqual([session]);
    expect(media.calls).toEqual(['announce', 'closeConnection']);
    media.closingConnection.reject(new Error('ignored'));
    await expect(session.released).resolves.toBeNull();
    expect(session.isReleased).toBe(true);
    expect(session.teardownSeconds).toBe(0);
    // A released session takes no more events.
    media.emit({ type: 'TRACK_ADDED', trackId: 'late', kind: 'video' });
    expect(session.view().tracks).toEqual([]);
  });

  test('negotiate returns the answer while the session is live, and refuses once a client or the server closed it', async () => {
    const { session, media } = open();
    const answered = session.negotiate('offer');
    media.answer.resolve('answer');
    await expect(answered).resolves.toBe('answer');

    media.answer = deferred<string>();
    const during = session.negotiate('offer');
    void session.close('SHUTDOWN');
    media.answer.resolve('late answer');
    await expect(during).rejects.toBeInstanceOf(SessionClosedError);
  });

  test('a session whose peer went away still answers (only a client or server close refuses)', async () => {
    const { session, media } = open();
    media.emit({ type: 'TRACK_ADDED', trackId: 'v', kind: 'video' });
    media.answer.resolve('answer');
    await expect(session.negotiate('offer')).resolves.toBe('answer');
    media.emit({ type: 'PEER_FAILED' });
    // Stopping the processor: offers are still taken, the answer is given.
    expect(session.state).toBe('StoppingProcessor');
    await expect(session.renegotiate('offer')).resolves.toBe('answer');
  });

  test('renegotiation and ICE updates are refused once the session is past stopping its processors', async () => {
    const { session, media } = open();
    void session.close();
    await settle();
    expect(session.state).toBe('ClosingSession');
    await expect(session.renegotiate('offer')).rejects.toThrow('the session is ClosingSession, it takes no new offer');
    await expect(session.updateIce('a=candidate', '*')).rejects.toThrow('the session is ClosingSession, it takes no ICE update');
    expect(media.calls).toEqual([]);
  });

  test("a failed negotiation or ICE update of a live session fails with its own error", async () => {
    const { session, media } = open();
    media.answer.reject(new Error('bad offer'));
    await expect(session.negotiate('offer')).rejects.toThrow(new Error('bad offer'));
    media.updateIce = () => Promise.reject(new Error('bad fragment'));
    await expect(session.updateIce('a=candidate', '*')).rejects.toThrow(new Error('bad fragment'));
  });

  test('a negotiation that fails after the session was closed fails as closed', async () => {
    const { session, media } = open();
    media.emit({ type: 'TRACK_ADDED', trackId: 'v', kind: 'video' });
    const during = session.negotiate('offer');
    void session.close('PEER_FAILED');
    media.answer.reject(new Error('connection closed'));
    await expect(during).rejects.toThrow(new SessionClosedError('session closed during negotiation'));
  });

  test("a client's close during negotiation refuses the answer", async () => {
    const { session, media } = open();
    const during = session.negotiate('offer');
    void session.close();
    media.answer.resolve('late answer');
    await expect(during).rejects.toThrow(new SessionClosedError('session closed during negotiation'));
  });

  test('an active session takes a new offer', async () => {
    const { session, media } = open();
    media.answer.resolve('answer 2');
    await expect(session.renegotiate('offer 2')).resolves.toBe('answer 2');
  });

  test("logs under the session's id, and shows its actor to the inspector with the session id", () => {
    const events: InspectionEvent[] = [];
    const { children } = open({ inspect: (event) => events.push(event) });
    expect(children).toEqual([{ session_id: 'sess-1' }]);
    const snapshots = events.filter((event) => event.type === '@xstate.snapshot');
    expect(snapshots.length).toBeGreaterThan(0);
    expect((snapshots[0]!.snapshot as unknown as { context: { sessionId: string } }).context.sessionId).toBe('sess-1');
  });

  test('view and getters show the media side and the actor as they are', () => {
    const { session, media } = open();
    media.emit({ type: 'TRACK_ADDED', trackId: 'a', kind: 'audio' });
    media.connectionState = 'checking';
    expect(session.connectionState).toBe('checking');
    expect(session.location).toBe('main');
    expect(session.view()).toEqual({
      session_id: 'sess-1',
      state: 'Active',
      started_at: 1_000_000,
      ended_at: null,
      reason: null,
      data_channel_open: false,
      tracks: [{ track_id: 'a', kind: 'audio', status: 'live', end_reason: null }],
      counters: COUNTERS,
      summary: null,
      faults: [],
      timeline: [{ state: 'Active', at: 1_000_000 }],
      close_ms_by_state: {},
    });
  });
});
