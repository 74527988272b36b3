import { integer, oneOf, type Env } from '../configValues';

/** Which frame a full buffer drops: the oldest (analysis stays live) or the newest. */
export const DROP_POLICIES = ['drop_oldest', 'drop_newest'] as const;
export type DropPolicy = (typeof DROP_POLICIES)[number];

/** What a session's connection and its tracks need, wherever the connection lives (main thread or a media worker). */
export interface PeerSettings {
  /** A session not connected within this time after its offer is closed. */
  connectTimeout: number;
  /** No RTP on a video track for this long ends the track. */
  videoInactivityMs: number;
  /** Same for audio; longer, because Opus DTX sends a packet only every 400 ms in silence. */
  audioInactivityMs: number;
  /** How long silent tracks of a peer gone silent as a whole wait for it to restart ICE (0: they end at their inactivity time). */
  iceRestartWindowMs: number;
  /** Frames waiting for the video processor; beyond this, frames are dropped. */
  frameBufferSize: number;
  /** Which frame a full buffer drops. */
  frameBufferPolicy: DropPolicy;
  /** At most one keyframe request (RTCP PLI) per video track per this interval. */
  keyframeRequestIntervalMs: number;
  /** At most this many `detection` events per session per second (coalesced: the newest wins). */
  detectionEventsPerSecond: number;
}

export function peerSettings(env: Env): PeerSettings {
  return {
    connectTimeout: integer(env, 'CONNECT_TIMEOUT_MS', 15_000, 100, 300_000),
    videoInactivityMs: integer(env, 'VIDEO_INACTIVITY_MS', 2000, 50, 600_000),
    audioInactivityMs: integer(env, 'AUDIO_INACTIVITY_MS', 3000, 50, 600_000),
    iceRestartWindowMs: integer(env, 'ICE_RESTART_WINDOW_MS', 0, 0, 600_000),
    frameBufferSize: integer(env, 'FRAME_BUFFER_SIZE', 30, 1, 10_000),
    frameBufferPolicy: oneOf(env, 'FRAME_BUFFER_POLICY', DROP_POLICIES, 'drop_oldest'),
    keyframeRequestIntervalMs: integer(env, 'KEYFRAME_REQUEST_INTERVAL_MS', 1000, 0, 60_000),
    detectionEventsPerSecond: integer(env, 'DETECTION_EVENTS_PER_SECOND', 5, 1, 1000),
  };
}
