import { integer, type Env } from './configValues';

/**
 * What one remote party may make the server spend, per session unless a name says otherwise.
 * Each limit is enforced where the input is first parsed; what exceeds it is refused or dropped
 * and counted (`input_refused_total{resource}`). docs/security.md lists them with their metrics.
 */
export interface InputLimits {
  /** Pixels of one decoded picture (MAX_PICTURE_PIXELS); larger pictures are dropped before decoding. */
  maxPicturePixels: number;
  /** Payload bytes of one video frame being assembled (MAX_FRAME_BYTES). */
  maxFrameBytes: number;
  /** RTP packets of one video frame being assembled (MAX_FRAME_PACKETS). */
  maxFramePackets: number;
  /** m-sections in one offer (MAX_MEDIA_SECTIONS). */
  maxMediaSections: number;
  /**
   * ICE transports one session's offer may make the server open (MAX_ICE_TRANSPORTS), each a UDP
   * socket per local address: 1 requires every m-section in one BUNDLE group.
   */
  maxIceTransports: number;
  /** Remote ICE candidates one session may give, offers and trickled fragments together (MAX_REMOTE_CANDIDATES). */
  maxRemoteCandidates: number;
  /** Bytes of one data-channel message from the client (MAX_CLIENT_MESSAGE_BYTES). */
  maxClientMessageBytes: number;
  /** Data-channel messages a second from one client (CLIENT_MESSAGES_PER_SECOND). */
  clientMessagesPerSecond: number;
  /** Renegotiations and ICE restarts of one session a minute (RENEGOTIATIONS_PER_MINUTE). */
  renegotiationsPerMinute: number;
  /** Sessions one client address holds that have not connected yet (MAX_HALF_OPEN_SESSIONS_PER_ADDRESS), per server. */
  maxHalfOpenPerAddress: number;
}

/** 4096 x 2304: any 4K picture, UHD or DCI, with its coded height rounded up to macroblocks. */
export const DEFAULT_MAX_PICTURE_PIXELS = 4096 * 2304;

export function inputLimits(env: Env): InputLimits {
  return {
    maxPicturePixels: integer(env, 'MAX_PICTURE_PIXELS', DEFAULT_MAX_PICTURE_PIXELS, 64 * 64, 16384 * 16384),
    maxFrameBytes: integer(env, 'MAX_FRAME_BYTES', 4 * 1024 * 1024, 16 * 1024, 256 * 1024 * 1024),
    maxFramePackets: integer(env, 'MAX_FRAME_PACKETS', 4096, 16, 1_000_000),
    maxMediaSections: integer(env, 'MAX_MEDIA_SECTIONS', 8, 1, 256),
    maxIceTransports: integer(env, 'MAX_ICE_TRANSPORTS', 1, 1, 64),
    maxRemoteCandidates: integer(env, 'MAX_REMOTE_CANDIDATES', 32, 1, 10_000),
    maxClientMessageBytes: integer(env, 'MAX_CLIENT_MESSAGE_BYTES', 16 * 1024, 256, 1024 * 1024),
    clientMessagesPerSecond: integer(env, 'CLIENT_MESSAGES_PER_SECOND', 20, 1, 100_000),
    renegotiationsPerMinute: integer(env, 'RENEGOTIATIONS_PER_MINUTE', 20, 1, 100_000),
    maxHalfOpenPerAddress: integer(env, 'MAX_HALF_OPEN_SESSIONS_PER_ADDRESS', 20, 1, 100_000),
  };
}
