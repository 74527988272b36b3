/** The body the summary webhook posts for each released session (README, "Summary webhook"). */
import type { SessionView } from './session';

export interface SessionSummaryWebhookBody extends Pick<SessionView, 'session_id' | 'reason' | 'summary' | 'ended_at'> {
  event_type: 'session_summary';
}
