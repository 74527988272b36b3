/// <reference lib="dom" />
import type { SessionView } from '../protocol';
import { fetchWithToken } from './pageAuth';

export const POLL_INTERVAL_MS = 500;

export interface SessionPoller {
  stop(): void;
}

/**
 * Reads GET /sessions/<id> every POLL_INTERVAL_MS and hands each record to `onRecord`; stops
 * by itself once the session is Released (its record no longer changes) or unknown, or when the
 * server does not let the page's token read it (401, 403): the page then goes on without the
 * record (the summary still comes on the data channel), saying so once instead of asking again.
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
      const response = await fetchWithToken(`/sessions/${encodeURIComponent(sessionId)}`, { cache: 'no-store' });
      if (stopped) return;
      if (response.status === 404) {
        onError('the server no longer knows this session');
        return;
      }
      if (response.status === 401 || response.status === 403) {
        onError(`this token may not read the session record (${response.status}); the summary still comes on the data channel`);
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
