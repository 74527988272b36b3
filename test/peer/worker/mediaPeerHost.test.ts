/**
 * MediaPeerHost, the media worker's side of its sessions, on this thread: a session whose work
 * let an exception escape is reported failed (PEER_FAILED, once) and only that session; its
 * status carries the summary so far, from which a partial summary is made if the worker dies.
 */
import { analyzedWith, type AnalyzerSource } from '../../../src/media/analyzer';
import { MediaPeerHost } from '../../../src/peer/worker/mediaPeerHost';
import type { FromMediaWorker } from '../../../src/peer/worker/mediaWorkerProtocol';
import { captureLogs } from '../../helpers/logCapture';
import { loopbackConfig } from '../../helpers/loopbackServer';
import { eventually } from '../../helpers/testServer';

const noAnalysis: AnalyzerSource = { analyze: async () => analyzedWith([]) };

describe('MediaPeerHost', () => {
  let host: MediaPeerHost | undefined;
  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  it('reports a failed session once, names it, and leaves the others alone', async () => {
    const posted: FromMediaWorker[] = [];
    const { logger, logs } = captureLogs();
    host = new MediaPeerHost({
      settings: loopbackConfig(),
      logger,
      analyzer: noAnalysis,
      receivedVideo: { videoCodecs: ['VP8'], h264Profiles: [] } as never,
      post: (message) => posted.push(message),
    });
    host.handle({ type: 'open', sessionId: 'a', startTime: Date.now() });
    host.handle({ type: 'open', sessionId: 'b', startTime: Date.now() });

    host.failSession('a', new Error('escaped'));
    host.failSession('a', new Error('escaped again'));
    host.failSession('gone', new Error('no such session'));

    expect(posted).toEqual([{ type: 'event', sessionId: 'a', event: { type: 'PEER_FAILED' } }]);
    expect(logs.filter((entry) => entry.message === 'An exception escaped the session; closing it')).toMatchObject([{ session_id: 'a', error: 'escaped' }]);
  });

  it("reports each session's summary so far with its counters", async () => {
    const posted: FromMediaWorker[] = [];
    host = new MediaPeerHost({
      settings: loopbackConfig(),
      logger: captureLogs().logger,
      analyzer: noAnalysis,
      receivedVideo: { videoCodecs: ['VP8'], h264Profiles: [] } as never,
      post: (message) => posted.push(message),
    });
    const startTime = Date.now();
    host.handle({ type: 'open', sessionId: 'a', startTime });
    // Reported every 100 ms: the first report, however long it takes here.
    const status = await eventually(() => posted.find((message) => message.type === 'status'), 5000, 'a status report');
    expect(status).toMatchObject({ sessions: [['a', { counters: { frames_received: 0 }, summary: { start_time: startTime, total_frames_received: 0 } }]] });
  });
});
