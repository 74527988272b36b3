import type { RTCDataChannel, RTCPeerConnection } from 'werift';
import { errorMessage, type Logger } from '../logger';
import type { ClientMessage, ServerEvent, StreamClosedEvent } from '../protocol';
import { requestImmediateAcks, waitUntilDelivered } from '../webrtc/dataChannelDelivery';
import { parseClientMessage } from './clientMessages';
import { guardCallback } from './guardCallback';

export interface EventChannelHandlers {
  opened(): void;
  closed(): void;
  message(message: ClientMessage): void;
  /** A message that was not understood (binary, huge, not JSON, unknown type). */
  ignored(problem: string): void;
}

/**
 * The session's events channel: the first data channel the client opens. Sends the server's
 * events (API.md) as JSON text and parses the client's messages.
 */
export class EventChannel {
  private channel: RTCDataChannel | null = null;

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly handlers: EventChannelHandlers,
    private readonly log: Logger,
  ) {}

  get isOpen(): boolean {
    return this.channel?.readyState === 'open';
  }

  /** Takes the first data channel the client opens; later ones are left alone. */
  adopt(channel: RTCDataChannel): void {
    if (this.channel) return;
    this.channel = channel;
    channel.stateChanged.subscribe((state) => {
      if (state === 'open') this.handlers.opened();
      else this.handlers.closed();
    });
    channel.onMessage.subscribe((data) => guardCallback(this.log, 'onMessage', () => this.receive(data)));
    if (channel.readyState === 'open') this.handlers.opened();
  }

  /** Whether the event went out on the data channel. */
  send(event: ServerEvent): boolean {
    const channel = this.channel;
    if (!channel || channel.readyState !== 'open') return false;
    try {
      channel.send(JSON.stringify(event));
      return true;
    } catch (error) {
      this.log.warn('Data channel send failed', { error: errorMessage(error) });
      return false;
    }
  }

  /**
   * Sends the channel's last message and, with `waitForAck`, resolves once the peer has
   * acknowledged everything sent (or `signal` aborts). Its acknowledgement, not the peer's
   * delayed-SACK timer, ends the wait.
   */
  async sendLast(event: StreamClosedEvent, { waitForAck, signal }: { waitForAck: boolean; signal?: AbortSignal }): Promise<void> {
    const channel = this.channel;
    if (!channel || channel.readyState !== 'open') return;
    requestImmediateAcks(this.pc.sctpTransport);
    channel.send(JSON.stringify(event));
    if (waitForAck) await waitUntilDelivered(channel, this.pc.sctpTransport, signal);
  }

  close(): void {
    this.channel?.stateChanged.allUnsubscribe();
    this.channel?.onMessage.allUnsubscribe();
  }

  private receive(data: string | Buffer): void {
    const message = parseClientMessage(data);
    if (message.ok) this.handlers.message(message.value);
    else this.handlers.ignored(message.problem);
  }
}
