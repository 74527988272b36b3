import { delayOf, SessionHarness, SUMMARY } from './peerSessionHarness';

let harness: SessionHarness;

beforeEach(() => {
  harness = new SessionHarness().start();
});

afterEach(() => {
  harness.dispose();
});

const state = () => harness.snapshot.value;

function addVideoAndAudio(): void {
  harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
  harness.send({ type: 'TRACK_ADDED', trackId: 'audio', kind: 'audio' });
}

async function finishClosing({ dataChannelOpen }: { dataChannelOpen: boolean }): Promise<void> {
  await harness.resolve('closeSession', SUMMARY);
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
    expect(harness.inputsOf('closeSession')).toEqual([
      {
        sessionId: harness.sessionId,
        closeReason: 'tracks_ended',
        tracks: { video: { kind: 'video', status: 'stopped', endReason: 'transceiver_stopped' } },
      },
    ]);
    await harness.resolve('closeSession', SUMMARY);

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
    await harness.resolve('closeSession', SUMMARY);

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
    expect(harness.inputsOf('closeSession')[0]).toMatchObject({ closeReason: 'client_request', tracks: {} });
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
    expect(harness.inputsOf('closeSession')).toEqual([]);

    harness.send({ type: 'TRACK_ENDED', trackId: 'audio', reason: 'inactivity' });
    expect(harness.inputsOf('stopProcessors')[1]).toEqual({ sessionId: harness.sessionId, trackIds: ['audio'] });
    await harness.resolve('stopProcessors');

    expect(state()).toBe('ClosingSession');
    expect(harness.inputsOf('closeSession')[0]?.closeReason).toBe('tracks_ended');
    await finishClosing({ dataChannelOpen: false });
    expect(harness.snapshot.context.closeReason).toBe('tracks_ended');
  });

  test('A4: closePeerConnection rejects: the session is still released and the fault is recorded', async () => {
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'DATA_CHANNEL_OPENED' });
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'transceiver_stopped' });
    await harness.resolve('stopProcessors');
    await harness.resolve('closeSession', SUMMARY);
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
    await harness.resolve('closeSession', SUMMARY);

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
      if (closingState === 'ClosingSession') await harness.resolve('closeSession', SUMMARY);
      if (closingState === 'EmittingSummary') await harness.resolve('emitSummary');
    }
    await harness.resolve('closePeerConnection');

    expect(state()).toBe('Released');
    expect(harness.inputsOf('stopProcessors')).toHaveLength(1);
    expect(harness.inputsOf('closeSession')).toHaveLength(1);
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
    expect(harness.inputsOf('closeSession')[0]?.closeReason).toBe('tracks_ended');
  });

  test('a close request while a track is being stopped stops the tracks still live', async () => {
    addVideoAndAudio();
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'inactivity' });
    harness.send({ type: 'CLOSE_REQUESTED' });
    await harness.timeOut('stopProcessors');

    expect(harness.inputsOf('stopProcessors').map((input) => input.trackIds)).toEqual([['video'], ['audio']]);
    await harness.resolve('stopProcessors');
    expect(harness.inputsOf('closeSession')[0]?.closeReason).toBe('client_request');
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

    const [closeInput] = harness.inputsOf('closeSession');
    expect(closeInput?.tracks).toEqual({
      video: { kind: 'video', status: 'stopped', endReason: 'server_shutdown' },
      audio: { kind: 'audio', status: 'stopped', endReason: 'server_shutdown' },
    });
  });
});
