/**
 * A media worker's entry: werift connections for the sessions the main thread places here, their
 * RTP, SRTP, SCTP and frame assembly on this thread's event loop, and decode workers of its own.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startAnalysis } from '../../media/analysis';
import { useDtlsCertificate } from '../../webrtc/dtlsCertificate';
import { forwardingLogger } from './forwardingLogger';
import { MediaPeerHost } from './mediaPeerHost';
import type { FromMediaWorker, MediaWorkerSetup, ToMediaWorker } from './mediaWorkerProtocol';

async function serve(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('mediaWorker.ts runs as a worker thread');
  const { config, logLevel, decoder, decodeWorkers, receivedVideo, certificate } = workerData as MediaWorkerSetup;
  const post = (message: FromMediaWorker) => port.postMessage(message);
  const logger = forwardingLogger(port, logLevel);
  useDtlsCertificate(certificate);
  const analysis = startAnalysis(config, decoder, decodeWorkers, logger);
  const host = new MediaPeerHost({ config, logger, analyzer: analysis.analyzer, receivedVideo, post });
  port.on('message', (message: ToMediaWorker) => {
    if (message.type !== 'stop') return host.handle(message);
    void host
      .stop()
      .then(() => analysis.close())
      .then(() => post({ type: 'stopped' }));
  });
  post({ type: 'ready' });
}

void serve();
