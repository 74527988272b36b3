import type { RTCDataChannel, RTCSctpTransport } from 'werift';

/** SCTP queues werift keeps private; read only to know when a message has been acknowledged. */
interface SctpQueues {
  outboundQueue: unknown[];
  sentQueue?: unknown[];
}

/** The parts of werift's SCTP association (0.25.2) that requestImmediateAcks touches. */
interface SctpAssociation {
  localTsn: number;
  sendChunk(chunk: { type: number; flags: number; tsn?: number }): Promise<void>;
}

const DATA_CHUNK = 0;
/** RFC 7053: the I bit of a DATA chunk asks the receiver to acknowledge it without delay. */
const SACK_IMMEDIATELY = 0x08;

const POLL_MS = 5;

/**
 * From now on, every DATA chunk this association sends (first transmission or retransmission)
 * carries the SACK-IMMEDIATELY bit. Receivers delay their acknowledgements by up to 200 ms
 * (RFC 4960 6.2; Chromium's usrsctp does), and a session that waits for its last message to
 * be acknowledged before it closes would wait that long: asking for an immediate SACK makes
 * the release follow the delivery. werift never sets the bit; wrapping this one association's
 * sendChunk keeps the change to the message that needs it. Returns an undo.
 *
 * Not a werift patch: werift has no defect here (RFC 7053 leaves the bit to the sender), and a
 * patch that set it only from a chosen message on would have to add an API to werift.
 */
export function requestImmediateAcks(sctp: RTCSctpTransport | undefined): () => void {
  const association = sctp?.sctp as unknown as SctpAssociation | undefined;
  if (!association || typeof association.sendChunk !== 'function') return () => {};
  const firstTsn = association.localTsn;
  const sendChunk = association.sendChunk;
  association.sendChunk = function sendAskingForSack(this: SctpAssociation, chunk) {
    if (chunk.type === DATA_CHUNK && chunk.tsn !== undefined && tsnAtOrAfter(chunk.tsn, firstTsn)) chunk.flags |= SACK_IMMEDIATELY;
    return sendChunk.call(this, chunk);
  };
  return () => {
    association.sendChunk = sendChunk;
  };
}

/** Serial number arithmetic on 32-bit TSNs (RFC 1982), so a wrapped TSN still counts as later. */
export function tsnAtOrAfter(tsn: number, reference: number): boolean {
  return ((tsn - reference) >>> 0) < 0x8000_0000;
}

/**
 * Resolves once everything sent on the channel has left and been acknowledged by the peer
 * (werift's channel buffer and the SCTP association's outbound and sent queues are empty),
 * or once the channel is no longer open. Closing the peer connection before this loses the
 * last message. The caller bounds the wait; `signal` ends it early.
 *
 * Not a werift patch: werift tells nobody when the peer has acknowledged a message; reading its
 * queues changes nothing, where a patch would have to add that event as a werift API.
 */
export async function waitUntilDelivered(
  channel: RTCDataChannel,
  sctp: RTCSctpTransport | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const queues = sctp?.sctp as unknown as SctpQueues | undefined;
  const delivered = () =>
    channel.readyState !== 'open' ||
    (channel.bufferedAmount === 0 && (queues?.outboundQueue.length ?? 0) === 0 && (queues?.sentQueue?.length ?? 0) === 0);
  while (!delivered()) {
    if (signal?.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
