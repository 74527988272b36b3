import type { PeerSessionEvent } from '../../../machines/peerSession.types';
import type { AnalysisSettings } from '../../config';
import type { DecoderBackendName } from '../../media/decode/videoDecoders';
import type { RefusalCounts } from '../../limits/refusals';
import type { SummarySoFar } from '../../counters/summary';
import type { SessionCounters } from '../../protocol';
import type { DtlsCertificatePems } from '../../webrtc/dtlsCertificate';
import type { ReceivedVideo } from '../../webrtc/receivedVideo';
import type { MediaPeerSettings } from '../mediaPeer';
import type { PeerMediaLink } from '../peerMediaLink';

/** What a media worker is started with. */
export interface MediaWorkerSetup {
  /** Its name in logs and session locations, e.g. "media-1". */
  name: string;
  /** The configuration's slices its sessions' connections use (not the whole configuration: secrets stay on the main thread). */
  settings: MediaPeerSettings;
  analysis: AnalysisSettings;
  /** The main logger's level: entries below it are not even sent. */
  logLevel: string;
  decoder: DecoderBackendName;
  /** Decode workers of its own (DECODE_WORKERS shared out among the media workers). */
  decodeWorkers: number;
  receivedVideo: ReceivedVideo;
  /** The server's DTLS certificate: every thread presents the same. */
  certificate: DtlsCertificatePems;
  /** The process runs with --expose-gc (a soak run): collect garbage before answering `measure`. */
  collectBeforeMeasuring: boolean;
}

/** The effects a session's actor asks of its media side, by name. */
export type MediaMethod = keyof Pick<
  PeerMediaLink,
  'negotiate' | 'updateIce' | 'announce' | 'stopProcessors' | 'freezeCounters' | 'emitSummary' | 'closeConnection' | 'transportsClosed'
>;

/** What the main thread knows of a session without asking. */
export interface MediaStatus {
  counters: SessionCounters;
  connectionState: string;
  /** What the summary would say so far: a session whose worker dies is summed up from it. */
  summary: SummarySoFar;
}

export type ToMediaWorker =
  | { type: 'open'; sessionId: string; startTime: number }
  | { type: 'call'; callId: number; sessionId: string; method: MediaMethod; args: unknown[] }
  /** The call's AbortSignal fired (emitSummary's wait for the acknowledgement). */
  | { type: 'abort'; callId: number }
  /** What the worker holds: its connections and heap (after a GC when the process runs with --expose-gc). */
  | { type: 'measure'; requestId: number }
  /** Close every connection left, end the decode workers, answer `stopped`. */
  | { type: 'stop' };

export type FromMediaWorker =
  | { type: 'ready' }
  /** A call's outcome, with the session's status after it (exact counters once closed). */
  | { type: 'result'; callId: number; ok: true; value: unknown; status: MediaStatus | null }
  /** `errorName`: the thrown error's name, so that the main thread recognises it (isError, src/errors.ts). */
  | { type: 'result'; callId: number; ok: false; error: string; errorName?: string; status: MediaStatus | null }
  | { type: 'event'; sessionId: string; event: PeerSessionEvent }
  | { type: 'log'; level: string; message: string; meta: Record<string, unknown> }
  /** Every 100 ms, the sessions whose status changed. */
  | { type: 'status'; sessions: Array<[sessionId: string, status: MediaStatus]> }
  /** Input this worker refused since its last report (sent with the status, when there is any). */
  | { type: 'refusals'; counts: RefusalCounts }
  /** `eventLoopDelayP99Seconds`: the worker's event-loop delay p99 since the previous measure. */
  | { type: 'measured'; requestId: number; connections: number; heapUsedBytes: number; eventLoopDelayP99Seconds: number }
  | { type: 'stopped' };
