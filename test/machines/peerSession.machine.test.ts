import { createActor, fromPromise } from 'xstate';
import { peerSessionMachine, tracksToStop } from '../../machines/peerSession.machine';
import { delayOf, SessionHarness, settle as settleActor, SUMMARY } from './peerSessionHarness';

let harness: SessionHarness;
/** Errors the actor reported: a guard or action that throws stops it, which no flow may do. */
let actorErrors: unknown[];

beforeEach(() => {
  harness = new SessionHarness();
  actorErrors = [];
  harness.actor.subscribe({ error: (error) => actorErrors.push(error) });
  harness.start();
});

afterEach(() => {
  harness.dispose();
  expect(actorErrors).toEqual([]);
});

const state = () => harness.snapshot.value;

function addVideoAndAudio(): void {
  harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
  harness.send({ type: 'TRACK_ADDED', trackId: 'audio', kind: 'audio' });
}

async function finishClosing({ dataChannelOpen }: { dataChannelOpen: boolean }): Promise<void> {
  await harness.resolve('freezeCounters', SUMMARY);
  if (dataChannelOpen) await harness.resolve('emitSummary');
  await harness.resolve('closePeerConnection');
}

describe('peerSession machine, documented flows', () => {
  test('main flow: track ends, processor stops, session closes, summary is emitted, peer connection is released', async () => {
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'DATA_CHANNEL_OPENED' });
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'transceiver_stopped' });

    expect(state()).toBe('StoppingProcessor');
    expect(harness.inputsOf('stopProcessors')).toEqual([{ sessionId: harness.sessionId, trackIds: ['video'] }]);
    await harness.resolve('stopProcessors');

    expect(state()).toBe('ClosingSession');
    expect(harness.inputsOf('freezeCounters')).toEqual([
      {
        sessionId: harness.sessionId,
        closeReason: 'tracks_ended',
        tracks: { video: { kind: 'video', status: 'stopped', endReason: 'transceiver_stopped' } },
      },
    ]);
    await harness.resolve('freezeCounters', SUMMARY);

    expect(state()).toBe('EmittingSummary');
    expect(harness.inputsOf('emitSummary')).toEqual([
      { sessionId: harness.sessionId, closeReason: 'tracks_ended', summary: SUMMARY },
    ]);
    await harness.resolve('emitSummary');

    expect(state()).toBe('Cleanup');
    expect(harness.untrackCount).toBe(1);
    expect(harness.inputsOf('closePeerConnection')).toEqual([{ sessionId: harness.sessionId }]);
    await harness.resolve('closePeerConnection');

    expect(harness.snapshot.status).toBe('done');
    expect(state()).toBe('Released');
    expect(harness.snapshot.output).toEqual(SUMMARY);
    expect(harness.snapshot.context.faults).toEqual([]);
  });

  test('A1: data channel closed before the session closes: no summary is emitted, cleanup proceeds', async () => {
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'DATA_CHANNEL_OPENED' });
    harness.send({ type: 'DATA_CHANNEL_CLOSED' });
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'peer_closed' });
    await harness.resolve('stopProcessors');
    await harness.resolve('freezeCounters', SUMMARY);

    expect(state()).toBe('Cleanup');
    await harness.resolve('closePeerConnection');

    expect(state()).toBe('Released');
    expect(harness.inputsOf('emitSummary')).toEqual([]);
    expect(harness.snapshot.output).toEqual(SUMMARY);
    expect(harness.snapshot.context.faults).toEqual([]);
  });

  test('A2: close requested before any track arrived: no processor to stop, the session still closes', async () => {
    harness.send({ type: 'CLOSE_REQUESTED' });

    expect(state()).toBe('ClosingSession');
    expect(harness.inputsOf('stopProcessors')).toEqual([]);
    expect(harness.inputsOf('freezeCounters')[0]).toMatchObject({ closeReason: 'client_request', tracks: {} });
    await finishClosing({ dataChannelOpen: false });

    expect(state()).toBe('Released');
  });

  test('A3: the session stays active while audio is live after video ended, and closes when audio ends', async () => {
    addVideoAndAudio();
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'transceiver_stopped' });
    expect(harness.inputsOf('stopProcessors')).toEqual([{ sessionId: harness.sessionId, trackIds: ['video'] }]);
    await harness.resolve('stopProcessors');

    expect(state()).toBe('Active');
    expect(harness.snapshot.context.tracks.audio?.status).toBe('live');
    expect(harness.inputsOf('freezeCounters')).toEqual([]);

    harness.send({ type: 'TRACK_ENDED', trackId: 'audio', reason: 'inactivity' });
    expect(harness.inputsOf('stopProcessors')[1]).toEqual({ sessionId: harness.sessionId, trackIds: ['audio'] });
    await harness.resolve('stopProcessors');

    expect(state()).toBe('ClosingSession');
    expect(harness.inputsOf('freezeCounters')[0]?.closeReason).toBe('tracks_ended');
    await finishClosing({ dataChannelOpen: false });
    expect(harness.snapshot.context.closeReason).toBe('tracks_ended');
  });

  test('A4: closePeerConnection rejects: the session is still released and the fault is recorded', async () => {
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'DATA_CHANNEL_OPENED' });
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'transceiver_stopped' });
    await harness.resolve('stopProcessors');
    await harness.resolve('freezeCounters', SUMMARY);
    await harness.resolve('emitSummary');
    await harness.reject('closePeerConnection', new Error('connection already closed'));

    expect(state()).toBe('Released');
    expect(harness.snapshot.context.faults).toEqual(['closePeerConnection failed: connection already closed']);
    expect(harness.snapshot.output).toEqual(SUMMARY);
    expect(harness.untrackCount).toBe(1);
  });

  test('A5: server shutdown with the data channel open ends every track and emits the summary as server_shutdown', async () => {
    addVideoAndAudio();
    harness.send({ type: 'DATA_CHANNEL_OPENED' });
    harness.send({ type: 'SHUTDOWN' });

    expect(harness.inputsOf('stopProcessors')).toEqual([{ sessionId: harness.sessionId, trackIds: ['video', 'audio'] }]);
    await harness.resolve('stopProcessors');
    await harness.resolve('freezeCounters', SUMMARY);

    expect(harness.inputsOf('emitSummary')).toEqual([
      { sessionId: harness.sessionId, closeReason: 'server_shutdown', summary: SUMMARY },
    ]);
    await harness.resolve('emitSummary');
    await harness.resolve('closePeerConnection');
    expect(state()).toBe('Released');
  });

  test('a hung stopProcessors times out after stopTimeout and the session is still released', async () => {
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'inactivity' });

    harness.clock.increment(delayOf('stopProcessors') - 1);
    expect(state()).toBe('StoppingProcessor');
    harness.clock.increment(1);
    expect(state()).toBe('ClosingSession');
    expect(harness.snapshot.context.faults).toEqual(['stopProcessors timed out']);

    await finishClosing({ dataChannelOpen: false });
    expect(state()).toBe('Released');
    expect(harness.inputsOf('closePeerConnection')).toHaveLength(1);
  });

  test('close events, track events and shutdown arriving while the session closes are ignored', async () => {
    const lateEvents = () => {
      harness.send({ type: 'CLOSE_REQUESTED' });
      harness.send({ type: 'PEER_CLOSED' });
      harness.send({ type: 'PEER_FAILED' });
      harness.send({ type: 'SHUTDOWN' });
      harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'peer_closed' });
      harness.send({ type: 'TRACK_ADDED', trackId: 'screen', kind: 'video' });
    };
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'DATA_CHANNEL_OPENED' });
    harness.send({ type: 'PEER_CLOSED' });
    await harness.resolve('stopProcessors');

    for (const closingState of ['ClosingSession', 'EmittingSummary', 'Cleanup']) {
      expect(state()).toBe(closingState);
      lateEvents();
      expect(state()).toBe(closingState);
      if (closingState === 'ClosingSession') await harness.resolve('freezeCounters', SUMMARY);
      if (closingState === 'EmittingSummary') await harness.resolve('emitSummary');
    }
    await harness.resolve('closePeerConnection');

    expect(state()).toBe('Released');
    expect(harness.inputsOf('stopProcessors')).toHaveLength(1);
    expect(harness.inputsOf('freezeCounters')).toHaveLength(1);
    expect(harness.inputsOf('emitSummary')).toHaveLength(1);
    expect(harness.inputsOf('closePeerConnection')).toHaveLength(1);
    expect(harness.untrackCount).toBe(1);
    expect(harness.snapshot.context.closeReason).toBe('peer_closed');
    expect(Object.keys(harness.snapshot.context.tracks)).toEqual(['video']);
  });
});

describe('peerSession machine, tracks that end or arrive while processors are being stopped', () => {
  test('a track that ends while another is being stopped gets its own stopProcessors call', async () => {
    addVideoAndAudio();
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'transceiver_stopped' });
    harness.send({ type: 'TRACK_ENDED', trackId: 'audio', reason: 'transceiver_stopped' });
    await harness.resolve('stopProcessors');

    expect(state()).toBe('StoppingProcessor');
    expect(harness.inputsOf('stopProcessors').map((input) => input.trackIds)).toEqual([['video'], ['audio']]);
    await harness.resolve('stopProcessors');

    expect(state()).toBe('ClosingSession');
    expect(harness.inputsOf('freezeCounters')[0]?.closeReason).toBe('tracks_ended');
  });

  test('a close request while a track is being stopped stops the tracks still live', async () => {
    addVideoAndAudio();
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'inactivity' });
    harness.send({ type: 'CLOSE_REQUESTED' });
    await harness.timeOut('stopProcessors');

    expect(harness.inputsOf('stopProcessors').map((input) => input.trackIds)).toEqual([['video'], ['audio']]);
    await harness.resolve('stopProcessors');
    expect(harness.inputsOf('freezeCounters')[0]?.closeReason).toBe('client_request');
    expect(harness.snapshot.context.faults).toEqual(['stopProcessors timed out']);
  });

  test('a track added while a close is under way is stopped before the session closes', async () => {
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'SHUTDOWN' });
    harness.send({ type: 'TRACK_ADDED', trackId: 'audio', kind: 'audio' });
    await harness.resolve('stopProcessors');

    expect(state()).toBe('StoppingProcessor');
    expect(harness.inputsOf('stopProcessors').map((input) => input.trackIds)).toEqual([['video'], ['audio']]);
    await harness.resolve('stopProcessors');

    const [closeInput] = harness.inputsOf('freezeCounters');
    expect(closeInput?.tracks).toEqual({
      video: { kind: 'video', status: 'stopped', endReason: 'server_shutdown' },
      audio: { kind: 'audio', status: 'stopped', endReason: 'server_shutdown' },
    });
  });
});

describe('peerSession machine, the first reason to close is the one reported', () => {
  test.each([
    ['CLOSE_REQUESTED', 'client_request'],
    ['PEER_CLOSED', 'peer_closed'],
    ['PEER_FAILED', 'peer_failed'],
    ['SHUTDOWN', 'server_shutdown'],
    ['SESSION_FAILED', 'error'],
  ] as const)('%s ends every live track and closes the session as %s', async (type, reason) => {
    addVideoAndAudio();
    harness.send({ type: 'DATA_CHANNEL_OPENED' });
    harness.send({ type });
    expect(harness.snapshot.context.closeReason).toBe(reason);
    await harness.resolve('stopProcessors');
    expect(harness.inputsOf('freezeCounters')).toEqual([
      {
        sessionId: harness.sessionId,
        closeReason: reason,
        tracks: { video: { kind: 'video', status: 'stopped', endReason: reason }, audio: { kind: 'audio', status: 'stopped', endReason: reason } },
      },
    ]);
    await harness.resolve('freezeCounters', SUMMARY);
    expect(harness.inputsOf('emitSummary')).toEqual([{ sessionId: harness.sessionId, closeReason: reason, summary: SUMMARY }]);
  });

  test.each([
    ['CLOSE_REQUESTED', 'client_request'],
    ['PEER_CLOSED', 'peer_closed'],
    ['PEER_FAILED', 'peer_failed'],
    ['SHUTDOWN', 'server_shutdown'],
    ['SESSION_FAILED', 'error'],
  ] as const)('%s while a track is being stopped ends the other tracks as %s', async (type, reason) => {
    addVideoAndAudio();
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'inactivity' });
    harness.send({ type });
    expect(state()).toBe('StoppingProcessor');
    await harness.resolve('stopProcessors');
    await harness.resolve('stopProcessors');
    expect(harness.inputsOf('freezeCounters')[0]).toMatchObject({
      closeReason: reason,
      tracks: { video: { status: 'stopped', endReason: 'inactivity' }, audio: { status: 'stopped', endReason: reason } },
    });
  });

  test('a second close event, in Active or while stopping, changes neither the reason nor an ended track', async () => {
    addVideoAndAudio();
    harness.send({ type: 'CLOSE_REQUESTED' });
    harness.send({ type: 'SHUTDOWN' });
    harness.send({ type: 'PEER_FAILED' });
    harness.send({ type: 'TRACK_ADDED', trackId: 'late', kind: 'video' });
    expect(harness.snapshot.context.closeReason).toBe('client_request');
    expect(harness.snapshot.context.tracks).toEqual({
      video: { kind: 'video', status: 'ended', endReason: 'client_request' },
      audio: { kind: 'audio', status: 'ended', endReason: 'client_request' },
      late: { kind: 'video', status: 'ended', endReason: 'client_request' },
    });
    await harness.resolve('stopProcessors');
    await harness.resolve('stopProcessors');
    expect(harness.inputsOf('stopProcessors').map((input) => input.trackIds)).toEqual([['video', 'audio'], ['late']]);
    expect(harness.snapshot.context.stoppingTrackIds).toEqual([]);
    expect(harness.inputsOf('freezeCounters')[0]?.closeReason).toBe('client_request');
  });

  test('tracks that end by themselves close the session as tracks_ended, and a close event after that cannot change it', async () => {
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'inactivity' });
    await harness.resolve('stopProcessors');
    expect(harness.snapshot.context.closeReason).toBe('tracks_ended');
    harness.send({ type: 'SHUTDOWN' });
    expect(harness.snapshot.context.closeReason).toBe('tracks_ended');
  });
});

describe('peerSession machine, track events it ignores', () => {
  test('a track added twice keeps its first record; an end for an unknown or ended track changes nothing', async () => {
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'audio' });
    harness.send({ type: 'TRACK_ADDED', trackId: 'audio', kind: 'audio' });
    expect(harness.snapshot.context.tracks.video).toEqual({ kind: 'video', status: 'live', endReason: null });

    harness.send({ type: 'TRACK_ENDED', trackId: 'nope', reason: 'inactivity' });
    expect(state()).toBe('Active');
    expect(harness.inputsOf('stopProcessors')).toEqual([]);

    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'inactivity' });
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'rtcp_bye' });
    await harness.resolve('stopProcessors');
    expect(state()).toBe('Active');
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'rtcp_bye' });
    expect(state()).toBe('Active');
    expect(harness.inputsOf('stopProcessors')).toHaveLength(1);
    expect(harness.snapshot.context.tracks.video).toEqual({ kind: 'video', status: 'stopped', endReason: 'inactivity' });
  });

  test('while a processor is being stopped, an end for a track already ended is ignored', async () => {
    addVideoAndAudio();
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'inactivity' });
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'rtcp_bye' });
    harness.send({ type: 'TRACK_ADDED', trackId: 'screen', kind: 'video' });
    await harness.resolve('stopProcessors');
    expect(state()).toBe('Active');
    expect(harness.snapshot.context.tracks).toEqual({
      video: { kind: 'video', status: 'stopped', endReason: 'inactivity' },
      audio: { kind: 'audio', status: 'live', endReason: null },
      screen: { kind: 'video', status: 'live', endReason: null },
    });
  });
});

describe('peerSession machine, the data channel while closing', () => {
  test('a data channel that opens while processors stop gets the summary', async () => {
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'CLOSE_REQUESTED' });
    harness.send({ type: 'DATA_CHANNEL_OPENED' });
    expect(harness.snapshot.context.dataChannelOpen).toBe(true);
    await harness.resolve('stopProcessors');
    await harness.resolve('freezeCounters', SUMMARY);
    expect(state()).toBe('EmittingSummary');
  });

  test('a data channel that closes while processors stop gets no summary', async () => {
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'DATA_CHANNEL_OPENED' });
    harness.send({ type: 'CLOSE_REQUESTED' });
    harness.send({ type: 'DATA_CHANNEL_CLOSED' });
    expect(harness.snapshot.context.dataChannelOpen).toBe(false);
    await harness.resolve('stopProcessors');
    await harness.resolve('freezeCounters', SUMMARY);
    expect(state()).toBe('Cleanup');
    expect(harness.inputsOf('emitSummary')).toEqual([]);
  });
});

describe('peerSession machine, every effect failing or timing out (A4)', () => {
  async function closeWithOpenChannel(): Promise<void> {
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'DATA_CHANNEL_OPENED' });
    harness.send({ type: 'CLOSE_REQUESTED' });
  }

  test('stopProcessors fails: the tracks count as stopped, the fault has the error, the session closes', async () => {
    await closeWithOpenChannel();
    await harness.reject('stopProcessors', new Error('worker gone'));
    expect(state()).toBe('ClosingSession');
    expect(harness.inputsOf('freezeCounters')[0]?.tracks).toEqual({ video: { kind: 'video', status: 'stopped', endReason: 'client_request' } });
    expect(harness.snapshot.context.faults).toEqual(['stopProcessors failed: worker gone']);
    expect(harness.snapshot.context.stoppingTrackIds).toEqual([]);
  });

  test('stopProcessors times out: the tracks count as stopped and the session closes', async () => {
    await closeWithOpenChannel();
    await harness.timeOut('stopProcessors');
    expect(harness.inputsOf('freezeCounters')[0]?.tracks).toEqual({ video: { kind: 'video', status: 'stopped', endReason: 'client_request' } });
    expect(harness.snapshot.context.stoppingTrackIds).toEqual([]);
  });

  test('freezeCounters fails: the partial summary is stored and emitted, the peer connection is still closed', async () => {
    await closeWithOpenChannel();
    await harness.resolve('stopProcessors');
    await harness.reject('freezeCounters', new Error('counters gone'));
    expect(state()).toBe('EmittingSummary');
    const partial = harness.snapshot.context.summary;
    expect(partial).toMatchObject({ partial: true });
    expect(harness.inputsOf('emitSummary')).toEqual([expect.objectContaining({ summary: partial })]);
    await harness.resolve('emitSummary');
    expect(state()).toBe('Cleanup');
    expect(harness.untrackCount).toBe(1);
    await harness.resolve('closePeerConnection');
    expect(harness.snapshot.output).toBe(partial);
    expect(harness.snapshot.context.faults).toEqual(['freezeCounters failed: counters gone']);
  });

  test('freezeCounters fails with the data channel closed: the partial summary is kept, nothing emitted (A1)', async () => {
    await closeWithOpenChannel();
    harness.send({ type: 'DATA_CHANNEL_CLOSED' });
    await harness.resolve('stopProcessors');
    await harness.reject('freezeCounters', new Error('counters gone'));
    expect(state()).toBe('Cleanup');
    await harness.resolve('closePeerConnection');
    expect(harness.inputsOf('emitSummary')).toEqual([]);
    expect(harness.snapshot.output).toMatchObject({ partial: true });
  });

  test('freezeCounters times out after closeTimeout: the partial summary is emitted, the peer connection is still closed', async () => {
    await closeWithOpenChannel();
    await harness.resolve('stopProcessors');
    harness.clock.increment(delayOf('freezeCounters') - 1);
    expect(state()).toBe('ClosingSession');
    await harness.timeOut('freezeCounters');
    expect(state()).toBe('EmittingSummary');
    expect(harness.snapshot.context.summary).toMatchObject({ partial: true });
    expect(harness.snapshot.context.faults).toEqual(['freezeCounters timed out']);
  });

  test('emitSummary fails with something not an Error, or times out: the session is released with its summary', async () => {
    await closeWithOpenChannel();
    await harness.resolve('stopProcessors');
    await harness.resolve('freezeCounters', SUMMARY);
    const call = harness.pending('emitSummary');
    call.settled = true;
    (call.reject as (error: unknown) => void)('channel closed');
    await settleActor();
    expect(state()).toBe('Cleanup');
    await harness.timeOut('closePeerConnection');
    expect(state()).toBe('Released');
    expect(harness.snapshot.output).toEqual(SUMMARY);
    expect(harness.snapshot.context.faults).toEqual(['emitSummary failed: channel closed', 'closePeerConnection timed out']);
  });

  test('emitSummary times out after emitTimeout', async () => {
    await closeWithOpenChannel();
    await harness.resolve('stopProcessors');
    await harness.resolve('freezeCounters', SUMMARY);
    harness.clock.increment(delayOf('emitSummary') - 1);
    expect(state()).toBe('EmittingSummary');
    await harness.timeOut('emitSummary');
    expect(state()).toBe('Cleanup');
    expect(harness.snapshot.context.faults).toEqual(['emitSummary timed out']);
  });

  test('a freezeCounters that answers nothing leaves the summary null', async () => {
    harness.send({ type: 'CLOSE_REQUESTED' });
    const call = harness.pending('freezeCounters');
    call.settled = true;
    call.resolve(undefined);
    await settleActor();
    expect(harness.snapshot.context.summary).toBeNull();
  });
});

describe('tracksToStop', () => {
  test('lists the ended tracks, not the live nor the stopped ones', () => {
    expect(
      tracksToStop({
        ...harness.snapshot.context,
        tracks: {
          a: { kind: 'video', status: 'live', endReason: null },
          b: { kind: 'audio', status: 'ended', endReason: 'inactivity' },
          c: { kind: 'video', status: 'stopped', endReason: 'inactivity' },
          d: { kind: 'video', status: 'ended', endReason: 'rtcp_bye' },
        },
      }),
    ).toEqual(['b', 'd']);
  });
});

describe('peerSession machine, its start and its defaults', () => {
  test('starts Active with no track, no reason, nothing being stopped and no fault', () => {
    expect(state()).toBe('Active');
    expect(harness.snapshot.context).toEqual({
      sessionId: harness.sessionId,
      tracks: {},
      dataChannelOpen: false,
      closeReason: null,
      summary: null,
      stoppingTrackIds: [],
      faults: [],
    });
  });

  test('an end for an unknown track before any track arrived does not close the session', () => {
    harness.send({ type: 'TRACK_ENDED', trackId: 'ghost', reason: 'inactivity' });
    expect(state()).toBe('Active');
    expect(harness.snapshot.context.closeReason).toBeNull();
    expect(harness.inputsOf('freezeCounters')).toEqual([]);
  });

  test('used without its effects, the machine fails each effect loudly, naming it, and still releases', async () => {
    const bare = createActor(peerSessionMachine, { input: { sessionId: 'bare' } }).start();
    bare.send({ type: 'TRACK_ADDED', trackId: 'v', kind: 'video' });
    bare.send({ type: 'CLOSE_REQUESTED' });
    await settleActor();
    await settleActor();
    expect(bare.getSnapshot().value).toBe('Released');
    expect(bare.getSnapshot().context.faults).toEqual([
      'stopProcessors failed: stopProcessors is not provided',
      'freezeCounters failed: freezeCounters is not provided',
      'closePeerConnection failed: closePeerConnection is not provided',
    ]);

    const summarising = peerSessionMachine.provide({ actors: { freezeCounters: fromPromise(async () => SUMMARY) } });
    const withChannel = createActor(summarising, { input: { sessionId: 'bare-2' } }).start();
    withChannel.send({ type: 'DATA_CHANNEL_OPENED' });
    withChannel.send({ type: 'CLOSE_REQUESTED' });
    await settleActor();
    await settleActor();
    expect(withChannel.getSnapshot().context.faults).toEqual([
      'emitSummary failed: emitSummary is not provided',
      'closePeerConnection failed: closePeerConnection is not provided',
    ]);
  });
});
