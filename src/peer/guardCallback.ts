import { errorMessage, type Logger } from '../logger';

/** werift calls us from its own loops: an exception in `body` is logged and never escapes into werift. */
export function guardCallback(log: Logger, callback: string, body: () => void): void {
  try {
    body();
  } catch (error) {
    log.error('Error in peer connection callback', { callback, error: errorMessage(error) });
  }
}
