/**
 * The data channel half of the wire contract (shared/API.md, "Data channel events"), checked on
 * what a client received or the server sent: the aiortc tests (test/foreign/) check the parsed
 * messages aiortc reports, the Chromium tests (test/web/) the text that crossed the channel.
 * Written from the contract, not from the server's types (src/protocol/), so a server change that
 * breaks clients shows up here. Each check returns what is wrong (empty when nothing is), so a
 * failure names every problem.
 */

const CLOSE_REASONS = ['tracks_ended', 'client_request', 'peer_closed', 'peer_failed', 'server_shutdown', 'error'];
const SUMMARY_COUNTERS = ['total_frames_received', 'total_frames_processed', 'total_frames_dropped', 'total_detections'];

/** Whether a conversation must end with `stream_closed`, or may lack it (a channel that closed first). */
export type StreamClosedRule = 'required' | 'if_sent';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

const NOT_JSON = Symbol('not JSON');

function parse(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return NOT_JSON;
  }
}

/** What is wrong with a stream_closed summary. */
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

/** What is wrong with one element of `detections`: a string label, a score in [0, 1], a bbox [x, y, w, h] >= 0. */
function detectionProblem(detection: unknown): string | null {
  const reasons: string[] = [];
  const { label, score, bbox } = (isObject(detection) ? detection : {}) as Json;
  if (!isObject(detection)) reasons.push('not an object');
  if (typeof label !== 'string') reasons.push('no string label');
  if (!isFiniteNumber(score) || score < 0 || score > 1) reasons.push('a score outside [0, 1]');
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((n) => isFiniteNumber(n) && n >= 0)) {
    reasons.push('a bbox that is not [x, y, w, h] of numbers >= 0');
  }
  return reasons.length === 0 ? null : `malformed detection ${JSON.stringify(detection)}: ${reasons.join(', ')}`;
}

function detectionEventProblems(event: Json): string[] {
  const problems: string[] = [];
  if (typeof event.track_id !== 'string') problems.push('detection without a track_id');
  if (!isCount(event.frame_timestamp)) problems.push(`detection frame_timestamp is not an integer >= 0: ${JSON.stringify(event.frame_timestamp)}`);
  for (const size of ['frame_width', 'frame_height']) {
    const value = event[size];
    if (value !== undefined && !(isCount(value) && value > 0)) problems.push(`detection ${size} is not an integer > 0: ${JSON.stringify(value)}`);
  }
  if (!Array.isArray(event.detections)) return [...problems, 'detection without a detections array'];
  return [...problems, ...event.detections.map(detectionProblem).filter((problem) => problem !== null)];
}

/** What is wrong with one message, parsed, sent to session `sessionId`. */
export function eventProblems(event: unknown, sessionId: string): string[] {
  if (!isObject(event)) return [`not a JSON object: ${JSON.stringify(event)}`];
  if (event.session_id !== sessionId) return [`${String(event.event_type)} for session ${JSON.stringify(event.session_id)}, not ${sessionId}`];
  switch (event.event_type) {
    case 'session_started':
      return [];
    case 'detection':
      return detectionEventProblems(event);
    case 'stream_closed':
      return [
        ...(CLOSE_REASONS.includes(event.reason as string) ? [] : [`unknown close reason ${JSON.stringify(event.reason)}`]),
        ...summaryProblems(event.summary),
      ];
    default:
      return [`unknown event_type ${JSON.stringify(event.event_type)}`];
  }
}

/** What is wrong with one message as it crossed the channel (the server sends JSON text). */
export function messageProblems(data: string, sessionId: string): string[] {
  const event = parse(data);
  return event === NOT_JSON ? [`not JSON: ${JSON.stringify(data)}`] : eventProblems(event, sessionId);
}

/** A message's `event_type` for reports and filters: "<not JSON>" for a message that is not. */
export function eventTypeOf(data: string): string {
  const event = parse(data);
  return event === NOT_JSON ? '<not JSON>' : String(isObject(event) ? event.event_type : undefined);
}

/** Each message's problems, numbered, then the rules of order: `session_started` first and once, `stream_closed` last and once. */
function orderedProblems(perMessage: string[][], types: unknown[], streamClosed: StreamClosedRule): string[] {
  const problems = perMessage.flatMap((found, index) => found.map((problem) => `message ${index}: ${problem}`));
  const count = (type: string) => types.filter((t) => t === type).length;
  if (types[0] !== 'session_started' || count('session_started') !== 1) {
    problems.push(`session_started is not first and once: ${types.join(', ')}`);
  }
  if (streamClosed === 'required' || count('stream_closed') > 0) {
    if (types[types.length - 1] !== 'stream_closed' || count('stream_closed') !== 1) {
      problems.push(`stream_closed is not last and once: ${types.join(', ')}`);
    }
  }
  return problems;
}

const typeOf = (event: unknown) => (isObject(event) ? event.event_type : undefined);

/**
 * What is wrong with everything a session received, parsed, in arrival order: each message
 * valid, `session_started` first and once, `stream_closed` last and once. With `'if_sent'`
 * (a channel that may have closed before the summary) `stream_closed` may be missing, but if
 * present it is single and last.
 */
export function sessionEventsProblems(events: unknown[], sessionId: string, streamClosed: StreamClosedRule = 'required'): string[] {
  return orderedProblems(
    events.map((event) => eventProblems(event, sessionId)),
    events.map(typeOf),
    streamClosed,
  );
}

/** The same rules for a conversation as text, as the messages crossed the channel. */
export function conversationProblems(messages: string[], sessionId: string, streamClosed: StreamClosedRule = 'required'): string[] {
  return orderedProblems(
    messages.map((data) => messageProblems(data, sessionId)),
    messages.map((data) => typeOf(parse(data))),
    streamClosed,
  );
}
