import type { ClientMessage } from '../protocol';

/** Why a client message was not understood: the kind its rate-limited warning is counted under. */
export type ClientMessageProblemKind = 'binary' | 'too_large' | 'not_json' | 'unknown_type';

export type ParsedClientMessage =
  | { ok: true; value: ClientMessage }
  | { ok: false; kind: ClientMessageProblemKind; problem: string };

/** The longest excerpt of a peer's unknown `type` quoted in a problem (and so in a log line). */
const QUOTED_TYPE_CHARS = 40;

/**
 * Parses one data-channel message from the client (API.md: JSON text, `{"type": "end_stream"}`).
 * `maxBytes` (MAX_CLIENT_MESSAGE_BYTES) is checked before JSON.parse so a large message costs
 * no parsing; the problem quotes at most a short excerpt of what the peer sent.
 */
export function parseClientMessage(data: string | Buffer, maxBytes: number): ParsedClientMessage {
  if (typeof data !== 'string') return { ok: false, kind: 'binary', problem: 'binary message' };
  // A string has at least as many UTF-8 bytes as UTF-16 units: the length alone refuses most.
  if (data.length > maxBytes || Buffer.byteLength(data) > maxBytes) return { ok: false, kind: 'too_large', problem: `message over ${maxBytes} bytes` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return { ok: false, kind: 'not_json', problem: 'not JSON' };
  }
  const type = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as { type?: unknown }).type : undefined;
  if (type === 'end_stream') return { ok: true, value: { type } };
  return { ok: false, kind: 'unknown_type', problem: `unknown message type ${quoted(type)}` };
}

function quoted(type: unknown): string {
  if (typeof type !== 'string') return type === undefined ? 'null' : typeof type;
  const excerpt = type.length > QUOTED_TYPE_CHARS ? `${type.slice(0, QUOTED_TYPE_CHARS)}...` : type;
  return JSON.stringify(excerpt);
}

/**
 * CLIENT_MESSAGES_PER_SECOND for one session: a token bucket holding one second of messages,
 * refilled continuously. A burst of a second's worth passes; a flood beyond it is dropped
 * before it is parsed.
 */
export class ClientMessageRate {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perSecond;
    this.refilledAt = now();
  }

  /** Whether one more message may be handled now (and takes its token). */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.refilledAt) * this.perSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
