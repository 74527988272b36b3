/**
 * The first reason wins: for the session (the first close event) and for each track (the first
 * event that ended it). The model walk checks this at every step of every path; these are the
 * same rules as plain examples, fast enough for a mutation run.
 */
import type { FreezeCountersInput, PeerSessionEvent } from '../../machines/peerSession.types';
import { SessionHarness } from './peerSessionHarness';
import { closeReasonOf, summaryFor } from './peerSessionReference';

let harness: SessionHarness;

beforeEach(() => {
  harness = new SessionHarness().start();
});

afterEach(() => {
  harness.dispose();
});

type CloseType = keyof typeof closeReasonOf;
const closeTypes = Object.keys(closeReasonOf) as CloseType[];
const pairs = closeTypes.flatMap((first) => closeTypes.filter((second) => second !== first).map((second) => [first, second] as const));

const freezeCountersInput = () => harness.pending('freezeCounters').input as FreezeCountersInput;

async function release(): Promise<void> {
  await harness.resolve('freezeCounters', summaryFor(freezeCountersInput()));
  await harness.resolve('emitSummary');
  await harness.resolve('closePeerConnection');
}

const loggedCount = (action: string) => harness.log.filter((entry) => entry.kind === 'logged' && entry.action === action).length;

describe('peerSession machine: the first reason wins', () => {
  test.each(pairs)('%s then %s while the processor stops: the session and its track keep the first reason', async (first, second) => {
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'DATA_CHANNEL_OPENED' });
    harness.send({ type: first });
    expect(harness.snapshot.value).toBe('StoppingProcessor');
    harness.send({ type: second });
    harness.send({ type: 'TRACK_ADDED', trackId: 'audio', kind: 'audio' });
    await harness.resolve('stopProcessors');
    await harness.resolve('stopProcessors');

    const reason = closeReasonOf[first];
    expect(harness.snapshot.context.closeReason).toBe(reason);
    expect(freezeCountersInput()).toMatchObject({
      closeReason: reason,
      tracks: { video: { status: 'stopped', endReason: reason }, audio: { status: 'stopped', endReason: reason } },
    });
    await release();
    expect(harness.inputsOf('emitSummary')[0]).toMatchObject({ closeReason: reason, summary: { tracks_ended_by: { [reason]: 2 } } });
    expect(harness.snapshot.output).toMatchObject({ tracks_ended_by: { [reason]: 2 } });
    expect(loggedCount('logCloseRequested')).toBe(2);
  });

  test.each(closeTypes)('%s once the session is closing for its tracks changes nothing', async (type) => {
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'DATA_CHANNEL_OPENED' });
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'rtcp_bye' });
    await harness.resolve('stopProcessors');
    expect(harness.snapshot.value).toBe('ClosingSession');
    harness.send({ type });
    harness.send({ type: 'TRACK_ADDED', trackId: 'audio', kind: 'audio' });

    expect(harness.snapshot.context).toMatchObject({ closeReason: 'tracks_ended', tracks: { video: { status: 'stopped', endReason: 'rtcp_bye' } } });
    expect(Object.keys(harness.snapshot.context.tracks)).toEqual(['video']);
    await release();
    expect(harness.inputsOf('emitSummary')[0]).toMatchObject({ closeReason: 'tracks_ended', summary: { tracks_ended_by: { rtcp_bye: 1 } } });
    expect(loggedCount('logCloseRequested')).toBe(0);
  });

  test('a second end for a track, or a close event after it ended, keeps its first end reason', async () => {
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'TRACK_ADDED', trackId: 'audio', kind: 'audio' });
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'inactivity' });
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'rtcp_bye' });
    harness.send({ type: 'PEER_CLOSED' });
    expect(harness.snapshot.context.tracks).toMatchObject({
      video: { status: 'ended', endReason: 'inactivity' },
      audio: { status: 'ended', endReason: 'peer_closed' },
    });
    await harness.resolve('stopProcessors');
    harness.send({ type: 'TRACK_ENDED', trackId: 'audio', reason: 'rtcp_bye' });
    await harness.resolve('stopProcessors');

    expect(harness.inputsOf('stopProcessors').map((input) => input.trackIds)).toEqual([['video'], ['audio']]);
    expect(freezeCountersInput().tracks).toEqual({
      video: { kind: 'video', status: 'stopped', endReason: 'inactivity' },
      audio: { kind: 'audio', status: 'stopped', endReason: 'peer_closed' },
    });
    expect(loggedCount('logTrackEnded')).toBe(1);
  });

  test('a track added twice keeps its first record, live or ended', () => {
    const again: PeerSessionEvent = { type: 'TRACK_ADDED', trackId: 'video', kind: 'audio' };
    harness.send({ type: 'TRACK_ADDED', trackId: 'video', kind: 'video' });
    harness.send({ type: 'TRACK_ADDED', trackId: 'audio', kind: 'audio' });
    harness.send(again);
    expect(harness.snapshot.context.tracks.video).toEqual({ kind: 'video', status: 'live', endReason: null });
    harness.send({ type: 'TRACK_ENDED', trackId: 'video', reason: 'transceiver_stopped' });
    harness.send(again);
    expect(harness.snapshot.context.tracks.video).toEqual({ kind: 'video', status: 'ended', endReason: 'transceiver_stopped' });
    expect(harness.inputsOf('stopProcessors')).toEqual([{ sessionId: harness.sessionId, trackIds: ['video'] }]);
  });
});
