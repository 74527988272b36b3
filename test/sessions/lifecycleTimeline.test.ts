import { createActor, toPromise } from 'xstate';
import { peerSessionMachine } from '../../machines/peerSession.machine';
import { LifecycleTimeline } from '../../src/sessions/lifecycleTimeline';

function clock(...times: number[]): () => number {
  return () => {
    const next = times.shift();
    if (next === undefined) throw new Error('clock ran out');
    return next;
  };
}

describe('LifecycleTimeline', () => {
  it('records each state change once, with its time', () => {
    const timeline = new LifecycleTimeline('Active', clock(100, 150, 160));
    timeline.enter('Active');
    timeline.enter('TrackEnding');
    timeline.enter('TrackEnding');
    timeline.enter('ClosingSession');
    expect(timeline.list()).toEqual([
      { state: 'Active', at: 100 },
      { state: 'TrackEnding', at: 150 },
      { state: 'ClosingSession', at: 160 },
    ]);
  });

  it('adds up a closing state entered twice and leaves out the current one and Active', () => {
    const timeline = new LifecycleTimeline('Active', clock(0, 1000, 1001, 1031, 1032, 1040, 1045));
    for (const state of ['TrackEnding', 'StoppingProcessor', 'TrackEnding', 'ClosingSession', 'EmittingSummary', 'Cleanup']) {
      timeline.enter(state);
    }
    expect(timeline.closeMsByState()).toEqual({
      TrackEnding: 2,
      StoppingProcessor: 30,
      ClosingSession: 8,
      EmittingSummary: 5,
    });
  });

  it('counts the current state up to now when asked', () => {
    const timeline = new LifecycleTimeline('Active', clock(0, 10, 25, 40));
    timeline.enter('TrackEnding');
    timeline.enter('ClosingSession');
    expect(timeline.closeMsByState({ untilNow: true })).toEqual({ TrackEnding: 15, ClosingSession: 15 });
  });

  it('sees the states a real actor passes through within one step (TrackEnding is left at once)', async () => {
    const timeline = new LifecycleTimeline('Active');
    const machine = peerSessionMachine.provide({
      delays: { stopTimeout: 50, closeTimeout: 50, emitTimeout: 50, cleanupTimeout: 50 },
    });
    let root: unknown = null;
    const actor = createActor(machine, {
      input: { sessionId: 's' },
      inspect: (event) => timeline.observe(event, (ref) => ref === root),
    });
    root = actor;
    actor.start();
    actor.send({ type: 'TRACK_ADDED', trackId: 'v', kind: 'video' });
    actor.send({ type: 'TRACK_ENDED', trackId: 'v', reason: 'inactivity' });
    // Until the actor is done, however long its effects take here.
    await toPromise(actor);
    expect(timeline.list().map((entry) => entry.state)).toEqual([
      'Active',
      'TrackEnding',
      'StoppingProcessor',
      'TrackEnding',
      'ClosingSession',
      'Cleanup',
      'Released',
    ]);
  });
});
