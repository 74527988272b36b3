/**
 * INSPECT=1 end to end: the real server with real werift sessions, and a WebSocket client on the
 * inspector relay receiving what the Stately inspector receives.
 */
import type { StatelyActorEvent, StatelyEventEvent, StatelyInspectionEvent, StatelySnapshotEvent } from '@statelyai/inspect';
import { WebSocket } from 'ws';
import type { PeerSession } from '../../src/sessions/peerSession';
import { eventually, finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';

const TOP_LEVEL_STATES = ['Active', 'TrackEnding', 'StoppingProcessor', 'ClosingSession', 'EmittingSummary', 'Cleanup', 'Released'];

let server: TestServer;
const sockets: WebSocket[] = [];

afterEach(async () => {
  await finishTestServer(server);
  for (const socket of sockets.splice(0)) socket.terminate();
});

interface Listener {
  socket: WebSocket;
  events: StatelyInspectionEvent[];
  closed: Promise<void>;
}

async function listen(url: string, headers?: Record<string, string>): Promise<Listener> {
  const socket = new WebSocket(url, { headers });
  sockets.push(socket);
  const events: StatelyInspectionEvent[] = [];
  socket.on('message', (data) => events.push(JSON.parse(data.toString()) as StatelyInspectionEvent));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { socket, events, closed };
}

/** What the inspector was told about one session: its actor, the events it took, its states. */
function sessionActor(events: StatelyInspectionEvent[], peer: PeerSession) {
  const actor = events.find(
    (event): event is StatelyActorEvent => event.type === '@xstate.actor' && event.name === `peerSession ${peer.id}`,
  );
  if (!actor) return undefined;
  const own = events.filter((event) => event.sessionId === actor.sessionId);
  return {
    actor,
    received: own.filter((event): event is StatelyEventEvent => event.type === '@xstate.event').map((event) => event.event.type),
    snapshots: own.filter((event): event is StatelySnapshotEvent => event.type === '@xstate.snapshot'),
  };
}

/** A machine snapshot as the inspector receives it (JSON). */
type MachineSnapshotJson = { value: string; context: { sessionId: string } };
const machineSnapshot = (event: StatelySnapshotEvent) => event.snapshot as unknown as MachineSnapshotJson;

function statesShown(snapshots: StatelySnapshotEvent[]): string[] {
  const states = snapshots.map((event) => machineSnapshot(event).value);
  return states.filter((state, i) => state !== states[i - 1]);
}

describe('INSPECT=1: the Stately inspector', () => {
  it("sends each session's actor, its events and its transitions to Released to a WebSocket client", async () => {
    server = await startTestServer({ inspect: true, inspectPort: 0, videoInactivityMs: 300, audioInactivityMs: 300 });
    expect(server.inspector!.webSocketUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    const listener = await listen(server.inspector!.webSocketUrl);

    const first = await server.connect({ audio: false });
    const second = await server.connect({ audio: false });
    await Promise.all([first.client.sendVideoFrames(10, { intervalMs: 10 }), second.client.sendVideoFrames(10, { intervalMs: 10 })]);
    first.client.stopVideo();
    await first.peer.released;
    await fetch(`${server.url}/sessions/${second.peer.id}`, { method: 'DELETE' });
    await second.peer.released;
    const shown = (peer: PeerSession) => sessionActor(listener.events, peer);
    await eventually(() => [first.peer, second.peer].every((peer) => statesShown(shown(peer)?.snapshots ?? []).at(-1) === 'Released'), 2000, 'Released shown for both sessions');

    const { actor, received, snapshots } = shown(first.peer)!;
    // The actor is the session's own machine, named after the session, with its whole definition.
    expect(actor.parentId).toBeUndefined();
    const definition = JSON.parse(actor.definition!) as { id: string; initial: string; states: Record<string, unknown> };
    expect(definition).toMatchObject({ id: 'peerSession', initial: 'Active' });
    expect(Object.keys(definition.states).sort()).toEqual([...TOP_LEVEL_STATES].sort());
    expect(snapshots.every((event) => machineSnapshot(event).context.sessionId === first.peer.id)).toBe(true);
    expect(received).toEqual(expect.arrayContaining(['xstate.init', 'TRACK_ADDED', 'TRACK_ENDED']));
    // Every state the actor rested in, in order; TrackEnding is left within the step that enters it.
    expect(statesShown(snapshots)).toEqual(['Active', 'StoppingProcessor', 'ClosingSession', 'EmittingSummary', 'Cleanup', 'Released']);
    expect(statesShown(snapshots)).toEqual(first.peer.view().timeline.map((entry) => entry.state).filter((state) => state !== 'TrackEnding'));
    // The effects it invoked show as its children.
    const children = listener.events.filter((event): event is StatelyActorEvent => event.type === '@xstate.actor' && event.parentId === actor.sessionId);
    expect(children.map((child) => child.name)).toEqual(expect.arrayContaining(['0.peerSession.ClosingSession', '0.peerSession.Cleanup']));

    // The other session is another actor, closed by the client's DELETE.
    const other = shown(second.peer)!;
    expect(other.actor.sessionId).not.toBe(actor.sessionId);
    expect(other.received).toContain('CLOSE_REQUESTED');
    expect(statesShown(other.snapshots)).toEqual(second.peer.view().timeline.map((entry) => entry.state).filter((state) => state !== 'TrackEnding'));
    expect(statesShown(other.snapshots)[0]).toBe('Active');
  });

  it('replays what a client missed, refuses other sites, and stops with the server', async () => {
    server = await startTestServer({ inspect: true, inspectPort: 0, videoInactivityMs: 300, audioInactivityMs: 300 });
    const { pageUrl, webSocketUrl } = server.inspector!;
    const { client, peer } = await server.connect({ audio: false });
    await client.sendVideoFrames(5, { intervalMs: 10 });
    client.stopVideo();
    await peer.released;

    // A page opened after the session ended still sees it from its start.
    const late = await listen(webSocketUrl);
    await eventually(() => statesShown(sessionActor(late.events, peer)?.snapshots ?? []).at(-1) === 'Released', 2000, 'the replay');
    expect(statesShown(sessionActor(late.events, peer)!.snapshots)[0]).toBe('Active');
    // Its own page may connect; a site open in another tab may not.
    await expect(listen(webSocketUrl, { Origin: pageUrl.replace(/\/$/, '') })).resolves.toBeDefined();
    await expect(listen(webSocketUrl, { Origin: 'https://example.org' })).rejects.toThrow(/403/);
    const page = await fetch(pageUrl);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<iframe id="inspector" data-src="https://stately.ai/inspect"');
    expect((await fetch(new URL('/relay.js', pageUrl))).status).toBe(200);

    await server.close();
    await late.closed;
    await expect(listen(webSocketUrl)).rejects.toThrow(/ECONNREFUSED/);
    await server.close();
  });

  it('is off unless INSPECT=1', async () => {
    server = await startTestServer();
    expect(server.inspector).toBeNull();
  });
});
