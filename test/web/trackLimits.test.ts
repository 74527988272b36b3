/**
 * MAX_TRACKS_PER_KIND against Chromium: a page offering clones of its fake camera and
 * microphone is refused past the limit (default 2 per kind) and streams within it.
 */
import type { Page } from 'playwright-core';
import { eventually, startTestServer } from '../helpers/testServer';
import { useChromium } from './browserHarness';

jest.setTimeout(60_000);

const chromium = useChromium();

interface OfferOutcome {
  status: number;
  contentType: string | null;
  body: Record<string, unknown>;
}

/**
 * In the page: `video` clones of the camera track and `audio` clones of the microphone track,
 * each on its own sendonly transceiver; the offer, gathered, is POSTed to /offer. On a 200 the
 * answer is applied and the connection left running in `window.limitPc`.
 */
function offerFromPage(page: Page, video: number, audio: number): Promise<OfferOutcome> {
  return page.evaluate(
    async ({ video, audio }) => {
      const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      const pc = new RTCPeerConnection();
      (window as unknown as { limitPc: RTCPeerConnection }).limitPc = pc;
      const clones = [...Array(video)].map(() => media.getVideoTracks()[0]!.clone()).concat([...Array(audio)].map(() => media.getAudioTracks()[0]!.clone()));
      for (const track of clones) pc.addTransceiver(track, { direction: 'sendonly' });
      await pc.setLocalDescription(await pc.createOffer());
      while (pc.iceGatheringState !== 'complete') await new Promise((resolve) => setTimeout(resolve, 20));
      const response = await fetch('/offer', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'offer', sdp: pc.localDescription!.sdp }),
      });
      const body = (await response.json()) as Record<string, unknown>;
      if (response.ok) await pc.setRemoteDescription({ type: 'answer', sdp: body.sdp as string });
      return { status: response.status, contentType: response.headers.get('content-type'), body };
    },
    { video, audio },
  );
}

describe('MAX_TRACKS_PER_KIND in Chromium', () => {
  it('three cloned cameras get a 400 "Too many tracks" problem and no session', async () => {
    const server = (chromium.server = await startTestServer());
    const outcome = await offerFromPage(await chromium.openPage(), 3, 1);
    expect(outcome).toMatchObject({
      status: 400,
      contentType: expect.stringMatching(/^application\/problem\+json/),
      body: { title: 'Too many tracks', detail: 'the offer has 3 video tracks; this server takes at most 2 per kind (MAX_TRACKS_PER_KIND)' },
    });
    expect(server.manager.count).toBe(0);
  });

  it('two cameras and two microphones get through and all four tracks stream', async () => {
    const server = (chromium.server = await startTestServer());
    const outcome = await offerFromPage(await chromium.openPage(), 2, 2);
    expect(outcome.status).toBe(200);
    const peer = server.manager.get(outcome.body.session_id as string)!;
    server.peers.push(peer);
    const tracks = await eventually(() => {
      const live = peer.view().tracks.filter((track) => track.status === 'live');
      return live.length === 4 && live;
    }, 10_000, 'four live tracks');
    expect(tracks.map((track) => track.kind).sort()).toEqual(['audio', 'audio', 'video', 'video']);
    await eventually(() => peer.view().counters.frames_received > 10 && peer.view().counters.audio_frames > 10, 10_000, 'video and audio arriving');
    expect((await fetch(`${server.url}/sessions/${peer.id}`, { method: 'DELETE' })).status).toBe(200);
  });
});
