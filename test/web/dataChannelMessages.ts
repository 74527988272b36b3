/**
 * The server's side of a data channel conversation, for comparing with what a client received:
 * every message the server handed to werift (recorded by wrapping RTCDataChannel.send, the one
 * call both `sendEvent` and `emitSummary` go through), and the wire contract's rules
 * (shared/API.md) for each message.
 */
import { RTCDataChannel } from 'werift';

export interface SentMessage {
  data: string;
  /** Date.now() when the server sent it. */
  sent_at: number;
}

export interface ServerSends {
  /** What the server sent on the session's channel, in order. */
  of(sessionId: string): SentMessage[];
  /** Sends that name no session (binary, not JSON, no session_id): there must be none. */
  unattributed: string[];
  restore(): void;
}

/**
 * Wraps werift's RTCDataChannel.prototype.send for this process (nothing else in a browser test
 * runs werift, so every send is the server's) and files each message under its session_id.
 */
export function recordServerSends(): ServerSends {
  const bySession = new Map<string, SentMessage[]>();
  const unattributed: string[] = [];
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function recordedSend(this: RTCDataChannel, data: string | Buffer) {
    const text = typeof data === 'string' ? data : `<binary ${data.length} bytes>`;
    const sessionId = sessionIdOf(text);
    if (sessionId === null) unattributed.push(text);
    else bySession.set(sessionId, [...(bySession.get(sessionId) ?? []), { data: text, sent_at: Date.now() }]);
    return send.call(this, data);
  };
  return {
    of: (sessionId) => bySession.get(sessionId) ?? [],
    unattributed,
    restore: () => {
      RTCDataChannel.prototype.send = send;
    },
  };
}

function sessionIdOf(text: string): string | null {
  try {
    const value = JSON.parse(text) as { session_id?: unknown };
    return typeof value.session_id === 'string' ? value.session_id : null;
  } catch {
    return null;
  }
}

const CLOSE_REASONS = ['tracks_ended', 'client_request', 'peer_closed', 'peer_failed', 'server_shutdown', 'error'];
const SUMMARY_COUNTERS = ['total_frames_received', 'total_frames_processed', 'total_frames_dropped', 'total_detections'];

type Json = Record<string, unknown>;

const isCount = (value: unknown) => Number.isInteger(value) && (value as number) >= 0;
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** Why one detection (an element of `detections`) breaks the contract, or null. */
function detectionProblem(detection: unknown): string | null {
  const { label, score, bbox } = (detection ?? {}) as Json;
  if (typeof label !== 'string') return 'a detection without a string label';
  if (!isFiniteNumber(score) || score < 0 || score > 1) return `a detection score ${String(score)} outside [0, 1]`;
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((n) => isFiniteNumber(n) && n >= 0)) {
    return `a bbox ${JSON.stringify(bbox)} that is not [x, y, w, h]`;
  }
  return null;
}

/** Why a stream_closed summary breaks the contract, or null. */
function summaryProblem(summary: unknown): string | null {
  if (typeof summary !== 'object' || summary === null) return 'no summary object';
  const fields = summary as Json;
  const bad = SUMMARY_COUNTERS.find((field) => !isCount(fields[field]));
  if (bad) return `summary.${bad} = ${JSON.stringify(fields[bad])} is not an integer >= 0`;
  if (!isFiniteNumber(fields.duration_sec) || fields.duration_sec < 0) return 'summary.duration_sec is not a number >= 0';
  const { total_frames_received: received, total_frames_processed: processed, total_frames_dropped: dropped } = fields as Record<string, number>;
  if (received !== processed! + dropped!) return `received ${received} != processed ${processed} + dropped ${dropped}`;
  return null;
}

/** Why one server message breaks shared/API.md for `sessionId`, or null. */
export function messageProblem(data: string, sessionId: string): string | null {
  let message: Json;
  try {
    message = JSON.parse(data) as Json;
  } catch {
    return 'not JSON';
  }
  if (message.session_id !== sessionId) return `session_id ${JSON.stringify(message.session_id)}`;
  switch (message.event_type) {
    case 'session_started':
      return null;
    case 'detection': {
      if (typeof message.track_id !== 'string') return 'detection without a track_id';
      if (!isCount(message.frame_timestamp)) return 'detection frame_timestamp is not an integer >= 0';
      if (!Array.isArray(message.detections)) return 'detection without a detections array';
      for (const size of ['frame_width', 'frame_height']) {
        if (message[size] !== undefined && !(isCount(message[size]) && (message[size] as number) > 0)) return `bad ${size}`;
      }
      return message.detections.map(detectionProblem).find((problem) => problem !== null) ?? null;
    }
    case 'stream_closed':
      if (!CLOSE_REASONS.includes(message.reason as string)) return `stream_closed reason ${JSON.stringify(message.reason)}`;
      return summaryProblem(message.summary);
    default:
      return `unknown event_type ${JSON.stringify(message.event_type)}`;
  }
}

export function eventTypeOf(data: string): string {
  try {
    return String((JSON.parse(data) as Json).event_type);
  } catch {
    return '<not JSON>';
  }
}

/**
 * The rules of a whole conversation: every message valid, `session_started` exactly once and
 * first, `stream_closed` exactly once and last. With `summary: 'if_sent'` (a channel that may
 * have closed before the summary), `stream_closed` may be missing, but if present it is single
 * and last. Returns the problems found (empty when none), so a failure names all of them.
 */
export function conversationProblems(messages: string[], sessionId: string, summary: 'required' | 'if_sent' = 'required'): string[] {
  const problems = messages.flatMap((data, index) => {
    const problem = messageProblem(data, sessionId);
    return problem === null ? [] : [`message ${index}: ${problem}`];
  });
  const types = messages.map(eventTypeOf);
  const count = (type: string) => types.filter((t) => t === type).length;
  if (types[0] !== 'session_started') problems.push(`the first message is ${types[0] ?? 'missing'}, not session_started`);
  if (count('session_started') !== 1) problems.push(`${count('session_started')} session_started messages`);
  if (summary === 'required' || count('stream_closed') > 0) {
    if (types.at(-1) !== 'stream_closed') problems.push(`the last message is ${types.at(-1) ?? 'missing'}, not stream_closed`);
    if (count('stream_closed') !== 1) problems.push(`${count('stream_closed')} stream_closed messages`);
  }
  return problems;
}
