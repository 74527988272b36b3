import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import type { ServerConfig } from './config';
import { createApp } from './http/app';
import { openModeWarning } from './http/auth/openMode';
import { startStatelyInspector, type StatelyInspector } from './inspection/statelyInspector';
import type { Logger } from './logger';
import type { AnalyzerSource } from './media/analyzer';
import { startAnalysis } from './media/analysis';
import { chooseDecoderBackend, type DecoderBackendName } from './media/decode/videoDecoders';
import { checkDetectorLoads } from './media/detectors/registry';
import { ServerMetrics } from './metrics';
import { onMainThread, type OpenMedia } from './sessions/mediaPlacement';
import type { PeerSession } from './sessions/peerSession';
import { MediaWorkerPool } from './mediaWorkers/mediaWorkerPool';
import { Cluster } from './cluster/cluster';
import { redactedUrl } from './cluster/redisLink';
import { SharedRateLimits } from './http/sharedRateLimits';
import { SessionManager } from './sessions/sessionManager';
import { prepareDtlsCertificate, type DtlsCertificatePems } from './webrtc/dtlsCertificate';
import { countTransportRefusals } from './webrtc/transportRefusals';
import type { ReceivedVideo } from './webrtc/receivedVideo';
import { checkDtlsRecordNumbering } from './webrtc/dtlsRecordNumbers';

/** How long a closing instance waits for its last records to reach Redis. */
const CLUSTER_FLUSH_TIMEOUT_MS = 2000;

export interface StartServerOptions {
  config: ServerConfig;
  logger: Logger;
  /**
   * Replaces the decoding pipeline (tests of the session lifecycle). It lives in this thread, so
   * the sessions' media does too, whatever MEDIA_WORKERS says.
   */
  analyzer?: AnalyzerSource;
  /** Called with each new session before its offer is negotiated (benches time setup from here). */
  onSessionCreated?: (peer: PeerSession) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  manager: SessionManager;
  metrics: ServerMetrics;
  /** The media workers holding the sessions' connections; null when they live on the main thread. */
  mediaWorkers: MediaWorkerPool | null;
  /** With INSPECT=1, where the sessions' actors can be watched; null otherwise. */
  inspector: Pick<StatelyInspector, 'pageUrl' | 'webSocketUrl'> | null;
  /** A5: closes every session, then stops listening. Idempotent. */
  close(): Promise<void>;
  /** Refuses new sessions, waits up to `timeoutMs` for the open ones to end, then closes. */
  drain(timeoutMs: number): Promise<void>;
}

/** Where the sessions' media lives, and what closing it takes. */
interface MediaPlacement {
  openMedia: OpenMedia;
  mediaWorkers: MediaWorkerPool | null;
  close(): Promise<void>;
}

/**
 * Media workers (MEDIA_WORKERS), each with decode workers of its own; or this thread, with the
 * analysis given (tests) or its own decode pool.
 */
async function placeMedia(options: {
  config: ServerConfig;
  logger: Logger;
  analyzer: AnalyzerSource | undefined;
  decoder: DecoderBackendName;
  receivedVideo: ReceivedVideo;
  certificate: DtlsCertificatePems;
}): Promise<MediaPlacement> {
  const { config, logger, analyzer, decoder, receivedVideo, certificate } = options;
  const { threads } = config;
  // Each side gets its slices of the configuration only: a media worker is cloned these, not the whole.
  const settings = { peer: config.peer, ice: config.ice, limits: config.limits };
  if (analyzer) return { openMedia: onMainThread(settings, analyzer, receivedVideo), mediaWorkers: null, close: async () => {} };
  if (threads.mediaWorkers === 0) {
    const analysis = startAnalysis(config.analysis, config.limits, decoder, threads.decodeWorkers, logger);
    return { openMedia: onMainThread(settings, analysis.analyzer, receivedVideo), mediaWorkers: null, close: () => analysis.close() };
  }
  const mediaWorkers = await MediaWorkerPool.start({
    size: threads.mediaWorkers,
    settings,
    analysis: config.analysis,
    logger,
    decoder,
    decodeWorkers: threads.decodeWorkers,
    receivedVideo,
    certificate,
  });
  return { openMedia: (media) => mediaWorkers.open(media), mediaWorkers, close: () => mediaWorkers.close() };
}

export async function startServer({ config, logger, analyzer, onSessionCreated }: StartServerOptions): Promise<RunningServer> {
  const dtls = checkDtlsRecordNumbering();
  if (!dtls.fixed) {
    logger.error('werift is not patched: browsers, aiortc and GStreamer clients will get data channel messages up to 1 s late, and every connection takes 100 ms longer to set up; run "npm install" without --ignore-scripts', {
      unpatched: dtls.unpatched,
    });
  }
  const certificate = await prepareDtlsCertificate();
  countTransportRefusals(logger);
  const { backend: decoders, fallbackReason } = chooseDecoderBackend(config.threads.decoder);
  if (fallbackReason) {
    logger.warn('native decoders unavailable: decoding video with the WebAssembly decoders (several times slower, H264 constrained baseline only)', { reason: fallbackReason });
  }
  logger.info('video decoders', { decoder: decoders.name, video_codecs: decoders.videoCodecs, h264_profiles: decoders.h264Profiles });
  const { inspection, analysis } = config;
  const inspector = inspection.inspect ? await startStatelyInspector({ port: inspection.inspectPort, logger }) : null;
  if (analysis.analysisFps !== undefined && analysis.detector === 'off') {
    logger.warn('ANALYSIS_FPS is ignored with DETECTOR=off: no frame is decoded or analysed', { analysis_fps: analysis.analysisFps });
  }
  if (analysis.detector !== 'off') {
    // A model that is missing, unreadable or does not fit its options stops the server here, with the reason.
    const detectorModel = await checkDetectorLoads(analysis.detector, analysis.detectorOptions);
    if (detectorModel) logger.info('detector model', detectorModel);
  }
  const receivedVideo = { videoCodecs: decoders.videoCodecs, h264Profiles: decoders.h264Profiles };
  const { openMedia, mediaWorkers, close: closeMedia } = await placeMedia({ config, logger, analyzer, decoder: decoders.name, receivedVideo, certificate });
  logger.info('media threads', { media_workers: mediaWorkers?.size ?? 0, decode_workers: analysis.detector === 'off' ? 0 : config.threads.decodeWorkers });
  const cluster = config.cluster ? new Cluster({ config: config.cluster, retentionMs: config.summaries.summaryRetentionMs, logger }) : null;
  if (cluster) logger.info('cluster', { instance_id: cluster.instanceId, redis: redactedUrl(cluster.link.url) });
  const manager: SessionManager = new SessionManager({
    settings: { sessions: config.sessions, timeouts: config.timeouts, summaries: config.summaries, cluster: config.cluster },
    logger,
    openMedia,
    receivedVideo,
    cluster: cluster ?? undefined,
    mediaWorkerLoads: () => mediaWorkers?.loads() ?? {},
    onSessionCreated,
    onSessionReleased: (peer) => metrics.recordRelease(peer.view(), peer.teardownSeconds),
    inspectSession: inspector ? (sessionId) => inspector.observerFor(sessionId) : undefined,
  });
  // With REDIS_URL the rate limits are counted in Redis, one budget across the instances.
  const sharedRateLimits = cluster && config.cluster ? new SharedRateLimits(cluster.link, config.cluster.keyPrefix, logger) : undefined;
  // Per server, not prom-client's global registry: a process (a test run) may hold several.
  const metrics = new ServerMetrics(new Registry(), {
    liveSessions: () => manager.live(),
    webhookStats: () => manager.webhookStats(),
    mediaWorkerLoads: () => mediaWorkers?.loads() ?? {},
    mediaWorkerLoopDelays: async () => Object.fromEntries((await mediaWorkers?.measure())?.map((held) => [held.name, held.eventLoopDelayP99Seconds]) ?? []),
    redisStats: () => manager.clusterStats(),
    rateLimitsCountedLocally: sharedRateLimits && (() => sharedRateLimits.counts().countedLocally),
  });
  const app = createApp({
    manager,
    metrics,
    logger,
    maxBodyBytes: config.http.maxBodyBytes,
    authToken: config.http.authToken,
    credentials: config.http.credentials,
    rateLimits: config.http.rateLimits,
    corsAllowOrigin: config.http.corsAllowOrigin,
    inputLimits: config.limits,
    halfOpenPerAddress: config.limits.maxHalfOpenPerAddress,
    trustProxy: config.http.trustProxy,
    sharedRateLimits,
  });
  const http: Server = await new Promise<Server>((resolve, reject) => {
    const server = app.listen(config.http.port, config.http.host, (error?: Error) => (error ? reject(error) : resolve(server)));
  }).catch(async (error: unknown) => {
    await manager.shutdown();
    await cluster?.close(0);
    await closeMedia();
    await inspector?.close();
    throw error;
  });
  const { port } = http.address() as AddressInfo;
  const openMode = openModeWarning(config.http);
  if (openMode) logger.warn(openMode);
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  let closing: Promise<void> | null = null;
  let draining: Promise<void> | null = null;
  const running: RunningServer = {
    url: `http://${host}:${port}`,
    port,
    manager,
    metrics,
    mediaWorkers,
    inspector: inspector && { pageUrl: inspector.pageUrl, webSocketUrl: inspector.webSocketUrl },
    close() {
      closing ??= (async () => {
        await manager.shutdown();
        await cluster?.close(CLUSTER_FLUSH_TIMEOUT_MS);
        await inspector?.close();
        await closeMedia();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeAllConnections();
      })();
      return closing;
    },
    drain(timeoutMs) {
      draining ??= manager.drain(timeoutMs).then(() => running.close());
      return draining;
    },
  };
  return running;
}
