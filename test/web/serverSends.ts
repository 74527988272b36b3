/**
 * The server's side of a data channel conversation, for comparing with what a client received:
 * every message the server handed to werift (recorded by wrapping RTCDataChannel.send, the one
 * call both `sendEvent` and `emitSummary` go through). The contract's rules for the messages
 * are in test/helpers/wireContract.ts.
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
