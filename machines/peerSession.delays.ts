/**
 * The machine's named delays: how long each closing effect may run before the flow goes on
 * without it (A4). One name per timeout, from environment variable to config to delay:
 * `stopTimeout` is read from STOP_TIMEOUT_MS into `config.timeouts.stopTimeout`, and so on.
 * The machine's defaults are the server's defaults.
 */
export const DEFAULT_DELAYS = {
  /** StoppingProcessor: the processors of ended tracks stop. */
  stopTimeout: 2000,
  /** ClosingSession: the counters freeze and the summary is made. */
  closeTimeout: 1000,
  /** EmittingSummary: `stream_closed` is sent and acknowledged. */
  emitTimeout: 2000,
  /** Cleanup: the peer connection closes. */
  cleanupTimeout: 2000,
} as const;

export type DelayName = keyof typeof DEFAULT_DELAYS;
export type PeerSessionDelays = Record<DelayName, number>;

/** The environment variable of a delay: stopTimeout -> STOP_TIMEOUT_MS. */
export function delayVariable(name: DelayName): string {
  return `${name.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}_MS`;
}
