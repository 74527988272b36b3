import type { ClientMessage } from '../protocol';

export type ParsedClientMessage = { ok: true; value: ClientMessage } | { ok: false; problem: string };

const MAX_MESSAGE_BYTES = 4096;

export function parseClientMessage(data: string | Buffer): ParsedClientMessage {
  if (typeof data !== 'string') return { ok: false, problem: 'binary message' };
  if (Buffer.byteLength(data) > MAX_MESSAGE_BYTES) return { ok: false, problem: `message over ${MAX_MESSAGE_BYTES} bytes` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  const type = typeof parsed === 'object' && parsed !== null ? (parsed as { type?: unknown }).type : undefined;
  if (type === 'end_stream') return { ok: true, value: { type } };
  return { ok: false, problem: `unknown message type ${JSON.stringify(type ?? null)}` };
}
