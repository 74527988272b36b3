/**
 * The data channel half of the wire contract (shared/API.md, "Data channel events"), checked on
 * what a foreign client actually received. Written from the contract, not from the server's
 * types, so a server change that breaks clients shows up here.
 */

const CLOSE_REASONS = ['tracks_ended', 'client_request', 'peer_closed', 'peer_failed', 'server_shutdown', 'error'];
const SUMMARY_COUNTERS = ['total_frames_received', 'total_frames_processed', 'total_frames_dropped', 'total_detections'];

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown) => Number.isInteger(value) && (value as number) >= 0;
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** What is wrong with a stream_closed summary (empty when it follows the contract). */
export function summaryProblems(summary: unknown): string[] {
  if (!isObject(summary)) return ['summary is not an object'];
  const problems = SUMMARY_COUNTERS.filter((field) => !isCount(summary[field])).map(
    (field) => `summary.${field} is not an integer >= 0: ${JSON.stringify(summary[field])}`,
  );
  if (!isFiniteNumber(summary.duration_sec) || summary.duration_sec < 0) {
    problems.push(`summary.duration_sec is not a number >= 0: ${JSON.stringify(summary.duration_sec)}`);
  }
  const { total_frames_received: received, total_frames_processed: processed, total_frames_dropped: dropped } = summary;
  if (problems.length === 0 && received !== (processed as number) + (dropped as number)) {
    problems.push(`total_frames_received ${received} != processed ${processed} + dropped ${dropped}`);
  }
  return problems;
}

function detectionProblems(event: Json): string[] {
  const problems: string[] = [];
  if (typeof event.track_id !== 'string') problems.push('detection without a track_id');
  if (!isFiniteNumber(event.frame_timestamp)) problems.push('detection without a numeric frame_timestamp');
  if (!Array.isArray(event.detections)) return [...problems, 'detection without a detections array'];
  for (const detection of event.detections as unknown[]) {
    const valid =
      isObject(detection) &&
      typeof detection.label === 'string' &&
      isFiniteNumber(detection.score) &&
      Array.isArray(detection.bbox) &&
      detection.bbox.length === 4 &&
      detection.bbox.every(isFiniteNumber);
    if (!valid) problems.push(`malformed detection ${JSON.stringify(detection)}`);
  }
  return problems;
}

/** What is wrong with one message (empty when it follows the contract). */
export function eventProblems(event: unknown, sessionId: string): string[] {
  if (!isObject(event)) return [`not a JSON object: ${JSON.stringify(event)}`];
  if (event.session_id !== sessionId) return [`${String(event.event_type)} for session ${JSON.stringify(event.session_id)}, not ${sessionId}`];
  switch (event.event_type) {
    case 'session_started':
      return [];
    case 'detection':
      return detectionProblems(event);
    case 'stream_closed':
      return [
        ...(CLOSE_REASONS.includes(event.reason as string) ? [] : [`unknown close reason ${JSON.stringify(event.reason)}`]),
        ...summaryProblems(event.summary),
      ];
    default:
      return [`unknown event_type ${JSON.stringify(event.event_type)}`];
  }
}

/**
 * What is wrong with everything a session received, in arrival order: each message valid,
 * `session_started` first and once, `stream_closed` last and once.
 */
export function sessionEventsProblems(events: unknown[], sessionId: string): string[] {
  const problems = events.flatMap((event, index) => eventProblems(event, sessionId).map((problem) => `message ${index}: ${problem}`));
  const types = events.map((event) => (isObject(event) ? event.event_type : undefined));
  const count = (type: string) => types.filter((t) => t === type).length;
  if (types[0] !== 'session_started' || count('session_started') !== 1) {
    problems.push(`session_started is not first and once: ${types.join(', ')}`);
  }
  if (types[types.length - 1] !== 'stream_closed' || count('stream_closed') !== 1) {
    problems.push(`stream_closed is not last and once: ${types.join(', ')}`);
  }
  return problems;
}
