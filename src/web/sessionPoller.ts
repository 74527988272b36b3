/// <reference lib="dom" />
import type { SessionView } from '../protocol';

export const POLL_INTERVAL_MS = 500;

export interface SessionPoller {
  stop(): void;
}

/**
 * Reads GET /sessions/<id> every POLL_INTERVAL_MS and hands each record to `onRecord`; stops
 * by itself once the session is Released (its record no longer changes) or unknown.
 */
export function pollSession(
  sessionId: string,
  onRecord: (record: SessionView) => void,
  onError: (message: string) => void,
): SessionPoller {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const poll = async () => {
    try {
      const response = await fetch(`/sessions/${encodeURIComponent(sessionId)}`, { cache: 'no-store' });
      if (stopped) return;
      if (response.status === 404) {
        onError('the server no longer knows this session');
        return;
      }
      if (!response.ok) throw new Error(`GET /sessions/${sessionId} answered ${response.status}`);
      const record = (await response.json()) as SessionView;
      if (stopped) return;
      onRecord(record);
      if (record.state === 'Released') return;
    } catch (error) {
      if (stopped) return;
      onError((error as Error).message);
    }
    timer = setTimeout(poll, POLL_INTERVAL_MS);
  };
  void poll();

  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
