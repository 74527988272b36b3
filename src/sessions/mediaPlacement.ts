import type { AnalyzerSource } from '../media/analyzer';
import type { ReceivedVideo } from '../webrtc/receivedVideo';
import { MediaPeer, type MediaPeerSettings } from '../peer/mediaPeer';
import type { PeerSessionOptions } from './peerSession';

/** Where a new session's media side is opened: on the main thread, or in a media worker. */
export type OpenMedia = PeerSessionOptions['openMedia'];

/** Media on the main thread (MEDIA_WORKERS=0, or an analyzer given in process: tests of the lifecycle). */
export function onMainThread(settings: MediaPeerSettings, analyzer: AnalyzerSource, receivedVideo: ReceivedVideo): OpenMedia {
  return ({ id, startTime, log, emit }) => new MediaPeer({ id, startTime, log, emit, settings, analyzer, receivedVideo });
}
