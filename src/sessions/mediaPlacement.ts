import type { ServerConfig } from '../config';
import type { AnalyzerSource } from '../media/analyzer';
import type { ReceivedVideo } from '../webrtc/receivedVideo';
import { MediaPeer } from '../peer/mediaPeer';
import type { PeerSessionOptions } from './peerSession';

/** Where a new session's media side is opened: on the main thread, or in a media worker. */
export type OpenMedia = PeerSessionOptions['openMedia'];

/** Media on the main thread (MEDIA_WORKERS=0, or an analyzer given in process: tests of the lifecycle). */
export function onMainThread(config: ServerConfig, analyzer: AnalyzerSource, receivedVideo: ReceivedVideo): OpenMedia {
  return ({ id, startTime, log, emit }) => new MediaPeer({ id, startTime, log, emit, config, analyzer, receivedVideo });
}
