import type { RTCDataChannel, RTCSctpTransport } from 'werift';

/** SCTP queues werift keeps private; read only to know when a message has been acknowledged. */
interface SctpQueues {
  outboundQueue: unknown[];
  sentQueue?: unknown[];
}

const POLL_MS = 5;

/**
 * Resolves once everything sent on the channel has left and been acknowledged by the peer
 * (werift's channel buffer and the SCTP association's outbound and sent queues are empty),
 * or once the channel is no longer open. Closing the peer connection before this loses the
 * last message. The caller bounds the wait; `signal` ends it early.
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
