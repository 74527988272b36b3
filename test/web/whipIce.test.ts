/**
 * WHIP PATCH (RFC 9725 section 4.3) with Chromium as the client: an offer POSTed before any
 * candidate, candidates trickled in PATCH fragments as Chromium gathers them, and an ICE restart
 * of a streaming session. The client (whipClientPage.js) builds its fragments itself, as a
 * browser one does, with none of the server's SDP helpers.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { iceCredentials, parseIceFragment } from '../../src/webrtc/iceFragment';
import { eventually, eventuallyAsync, messages, serverConnection, startTestServer, type TestServer } from '../helpers/testServer';
import { useChromium } from './browserHarness';

jest.setTimeout(120_000);

const PAGE_SCRIPT = readFileSync(path.join(__dirname, 'whipClientPage.js'), 'utf8');
const FRAGMENT = 'application/trickle-ice-sdpfrag';
/** Generous: Chromium, the server and jest share two cores. */
const WAIT_MS = 30_000;
const CANDIDATE_LINE = /^a=candidate:\S+ \d+ (\S+) \d+ (\S+) (\d+) typ (\S+)/gm;

interface PatchResult {
  body: string;
  status: number;
  etag: string | null;
  contentType: string | null;
  text: string;
}

interface Published {
  offerSdp: string;
  location: string;
  etag: string;
  answerSdp: string;
  earlyCandidates: number;
  patches: PatchResult[];
}

interface Restarted extends PatchResult {
  previousUfrag: string;
  ufrag?: string;
  answerSdp: string | null;
}

interface SelectedPair {
  state: string;
  nominated: boolean;
  localUfrag: string | null;
  changes: number;
  remote: string | null;
  bytesSent: number;
}

const chromium = useChromium();

/** The test's server, and a page of it running the WHIP client. */
async function start(mediaWorkers: number): Promise<{ server: TestServer; page: Page }> {
  const server = (chromium.server = await startTestServer({ mediaWorkers }));
  const page = await chromium.openPage();
  await page.evaluate(PAGE_SCRIPT);
  return { server, page };
}

/** Publishes from the page and tracks the server's side of the session for finishTestServer. */
async function publish(server: TestServer, page: Page) {
  const published = await page.evaluate<Published>('window.whipClient.publish()');
  const sessionId = published.location.slice('/whip/'.length);
  const peer = server.manager.get(sessionId);
  if (!peer) throw new Error(`session ${sessionId} is not tracked`);
  server.peers.push(peer);
  return { published, sessionId, peer, framesReceived: () => server.manager.view(sessionId)?.counters.frames_received ?? 0 };
}

function patch(server: TestServer, location: string, ifMatch: string, body: string): Promise<Response> {
  return fetch(server.url + location, { method: 'PATCH', headers: { 'content-type': FRAGMENT, 'if-match': ifMatch }, body });
}

function selectedPair(page: Page): Promise<SelectedPair | null> {
  return page.evaluate<SelectedPair | null>('window.whipClient.selectedPair()');
}

async function connected(page: Page): Promise<void> {
  await eventuallyAsync(async () => ((await page.evaluate<{ connection: string } | null>('window.whipClient.state()'))?.connection === 'connected' ? true : undefined), WAIT_MS, "Chromium's connection to connect");
}

/** UDP IPv4 candidates of some SDP lines as "address:port", the ones this server uses. */
function udpIpv4Candidates(text: string): string[] {
  return [...text.matchAll(CANDIDATE_LINE)].filter(([, transport, address]) => transport!.toLowerCase() === 'udp' && /^\d+\.\d+\.\d+\.\d+$/.test(address!)).map(([, , address, port]) => `${address}:${port}`);
}

describe.each([
  ['on the main thread', 0],
  ['in a media worker', 1],
])('WHIP trickle ICE and ICE restarts with Chromium (RFC 9725 section 4.3), connections %s', (_where, mediaWorkers) => {
  it('connects an offer POSTed before gathering through the candidates trickled in PATCH fragments', async () => {
    const { server, page } = await start(mediaWorkers);
    const { published, sessionId, peer, framesReceived } = await publish(server, page);
    const { ufrag, pwd } = iceCredentials(published.offerSdp)!;

    expect(published.offerSdp).not.toMatch(/^a=candidate:/m);
    expect(published.patches.length).toBeGreaterThan(0);
    for (const sent of published.patches) {
      expect(sent).toMatchObject({ status: 204, etag: null, text: '' });
      expect(sent.body).toContain(`a=ice-ufrag:${ufrag}\r\na=ice-pwd:${pwd}\r\nm=audio 9 UDP/TLS/RTP/SAVPF `);
      expect(sent.body).toMatch(/^a=mid:0$/m);
    }
    expect(published.patches.at(-1)!.body).toMatch(/a=end-of-candidates\r\n$/);
    const trickled = udpIpv4Candidates(published.patches.map((sent) => sent.body).join('\n'));
    expect(trickled.length).toBeGreaterThan(0);

    await connected(page);
    await eventually(() => framesReceived() > 10, WAIT_MS, 'video frames over the trickled path');
    if (mediaWorkers === 0) {
      // The server's ICE has every trickled candidate it can use, as Chromium sent it.
      const remotes = serverConnection(peer).iceTransports[0]!.connection.remoteCandidates.map((candidate) => `${candidate.host}:${candidate.port}`);
      expect(remotes).toEqual(expect.arrayContaining(trickled));
    }
    const added = server.logs.filter((entry) => entry.session_id === sessionId && entry.message === 'Trickled ICE candidates').reduce((sum, entry) => sum + Number(entry.added), 0);
    expect(added).toBe(trickled.length);
    expect((await fetch(server.url + published.location, { method: 'DELETE' })).status).toBe(200);
  });

  it('restarts the ICE of a streaming session with PATCH If-Match: *, keeping the session and its counters', async () => {
    const { server, page } = await start(mediaWorkers);
    const { published, sessionId, peer, framesReceived } = await publish(server, page);
    await connected(page);
    await eventually(() => framesReceived() > 10, WAIT_MS, 'video frames before the restart');
    const pairBefore = (await selectedPair(page))!;
    expect(pairBefore.localUfrag).toBe(iceCredentials(published.offerSdp)!.ufrag);

    const restarted = await page.evaluate<Restarted>('window.whipClient.restart()');
    const atRestart = framesReceived();
    // Chromium's fragment: its new credentials and candidates, on the bundle's first m-section.
    expect(restarted.ufrag).not.toBe(restarted.previousUfrag);
    expect(restarted.body).toMatch(/^a=group:BUNDLE 0 1\r\nm=audio \d+ UDP\/TLS\/RTP\/SAVPF [^\r]+\r\na=mid:0\r\na=ice-ufrag:/);
    expect(parseIceFragment(restarted.body)).toMatchObject({ ufrag: restarted.ufrag, firstMid: '0', endOfCandidates: true });
    expect(udpIpv4Candidates(restarted.body).length).toBeGreaterThan(0);
    // The server's: 200, a new ICE session and its new tag.
    expect(restarted).toMatchObject({ status: 200, contentType: expect.stringMatching(/^application\/trickle-ice-sdpfrag/) });
    expect(restarted.etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(restarted.etag).not.toBe(published.etag);
    const answer = parseIceFragment(restarted.text);
    expect(answer.ufrag).not.toBe(iceCredentials(published.answerSdp)!.ufrag);
    expect(answer.candidates.length).toBeGreaterThan(0);
    expect(answer.endOfCandidates).toBe(true);

    // Chromium selects a pair of its new ICE session: checks with the server's new credentials succeeded.
    const pairAfter = await eventuallyAsync(async () => {
      const pair = await selectedPair(page);
      return pair !== null && pair.localUfrag === restarted.ufrag && pair.state === 'succeeded' ? pair : undefined;
    }, WAIT_MS, 'Chromium to select a pair of the new ICE session');
    expect(pairAfter.changes).toBeGreaterThan(pairBefore.changes);
    await connected(page);
    if (mediaWorkers === 0) {
      const [serverIce] = serverConnection(peer).iceTransports;
      await eventually(() => serverIce!.iceRestarts === 1 && serverIce!.connection.nominated !== undefined, WAIT_MS, 'the server to nominate a pair of the new ICE session');
      expect(serverIce!.connection.remoteUsername).toBe(restarted.ufrag);
      expect(serverIce!.connection.localUsername).toBe(answer.ufrag);
    }

    // Media goes on over the new pair, into the same session, actor and counters.
    await eventually(() => framesReceived() > atRestart + 30, WAIT_MS, 'video frames after the restart');
    const pairLater = (await selectedPair(page))!;
    expect(pairLater.localUfrag).toBe(restarted.ufrag);
    expect(pairLater.bytesSent).toBeGreaterThan(pairAfter.bytesSent);
    expect(server.manager.get(sessionId)).toBe(peer);
    expect(peer.state).toBe('Active');
    expect(messages(server, sessionId)).toContain('ICE restarted');

    // The first ICE session's tag is stale now; the new one takes candidates.
    expect((await patch(server, published.location, published.etag, 'a=end-of-candidates\r\n')).status).toBe(412);
    expect((await patch(server, published.location, restarted.etag!, 'a=end-of-candidates\r\n')).status).toBe(204);

    const framesBeforeDelete = framesReceived();
    const deleted = await fetch(server.url + published.location, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    const { summary } = (await deleted.json()) as { summary: { total_frames_received: number } };
    expect(summary.total_frames_received).toBeGreaterThanOrEqual(framesBeforeDelete);
    expect(framesBeforeDelete).toBeGreaterThan(atRestart + 30);
  });
});
