/**
 * A media worker's entry: werift connections for the sessions the main thread places here, their
 * RTP, SRTP, SCTP and frame assembly on this thread's event loop, and decode workers of its own.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { catchThreadFaults } from '../../limits/threadFaults';
import { startAnalysis } from '../../media/analysis';
import { useDtlsCertificate } from '../../webrtc/dtlsCertificate';
import { countTransportRefusals } from '../../webrtc/transportRefusals';
import { forwardingLogger } from './forwardingLogger';
import { MediaPeerHost } from './mediaPeerHost';
import type { FromMediaWorker, MediaWorkerSetup, ToMediaWorker } from './mediaWorkerProtocol';

async function serve(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('mediaWorker.ts runs as a worker thread');
  const { settings, analysis: analysisSettings, logLevel, decoder, decodeWorkers, receivedVideo, certificate, collectBeforeMeasuring } = workerData as MediaWorkerSetup;
  const post = (message: FromMediaWorker) => port.postMessage(message);
  const logger = forwardingLogger(port, logLevel);
  useDtlsCertificate(certificate);
  countTransportRefusals(logger);
  const analysis = startAnalysis(analysisSettings, settings.limits, decoder, decodeWorkers, logger);
  const host = new MediaPeerHost({ settings, logger, analyzer: analysis.analyzer, receivedVideo, post, collectGarbage: collectBeforeMeasuring ? exposedGc() : undefined });
  // One bad input fails at most its own session, never this thread and every session on it.
  catchThreadFaults({ warn: (message, meta) => logger.warn(message, meta), failOwner: (sessionId, error) => host.failSession(sessionId, error) });
  port.on('message', (message: ToMediaWorker) => {
    if (message.type !== 'stop') return host.handle(message);
    void host
      .stop()
      .then(() => analysis.close())
      .then(() => post({ type: 'stopped' }));
  });
  post({ type: 'ready' });
}

/** V8's gc(), for soak runs: a worker cannot be started with --expose-gc, but may turn it on. */
function exposedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

void serve();
