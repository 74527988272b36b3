import type { RTCDataChannel, RTCPeerConnection } from 'werift';
import type { InputLimits } from '../limitsConfig';
import { LogBudget } from '../limits/logBudget';
import { refusals } from '../limits/refusals';
import { errorMessage, type Logger } from '../logger';
import type { ClientMessage, ServerEvent, StreamClosedEvent } from '../protocol';
import { requestImmediateAcks, waitUntilDelivered } from '../webrtc/dataChannelDelivery';
import { ClientMessageRate, parseClientMessage } from './clientMessages';
import { guardCallback } from './guardCallback';

export interface EventChannelHandlers {
  opened(): void;
  closed(): void;
  message(message: ClientMessage): void;
  /** A message dropped (over the rate, too large, binary, not JSON, unknown type): counted, logged here. */
  ignored(problem: string): void;
}

export type ClientMessageLimits = Pick<InputLimits, 'maxClientMessageBytes' | 'clientMessagesPerSecond'>;

/**
 * The session's events channel: the first data channel the client opens. Sends the server's
 * events (API.md) as JSON text and parses the client's messages, within the session's budgets:
 * CLIENT_MESSAGES_PER_SECOND and MAX_CLIENT_MESSAGE_BYTES. A dropped message is counted
 * (`ignored_client_messages`, `input_refused_total{resource="client_message"}`) and warned about
 * at the 1st, 10th, 100th... of its kind, so a flood costs neither the log nor, from a media
 * worker, the channel to the main thread. Channels the client opens after the first serve
 * nothing: they are closed, so a peer cannot make us keep thousands.
 */
export class EventChannel {
  private channel: RTCDataChannel | null = null;
  private readonly rate: ClientMessageRate;
  private readonly budget = new LogBudget();

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly handlers: EventChannelHandlers,
    private readonly log: Logger,
    private readonly limits: ClientMessageLimits,
    now: () => number = Date.now,
  ) {
    this.rate = new ClientMessageRate(limits.clientMessagesPerSecond, now);
  }

  get isOpen(): boolean {
    return this.channel?.readyState === 'open';
  }

  /** Takes the first data channel the client opens; later ones are closed. */
  adopt(channel: RTCDataChannel): void {
    if (this.channel) {
      this.refuse('extra_channel', 'Closed a data channel beyond the first', { label: channel.label.slice(0, 40) });
      // werift marks the channel open and queues its DCEP ACK after this callback: closed now, it
      // would be reopened, and a reset ahead of the ACK makes the client's werift throw.
      setImmediate(() => channel.close());
      return;
    }
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
      this.budget.warn(this.log, 'send_failed', 'Data channel send failed', { error: errorMessage(error) });
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
    if (!this.rate.take()) {
      this.ignore('over_rate', `over ${this.limits.clientMessagesPerSecond} messages a second`);
      return;
    }
    const message = parseClientMessage(data, this.limits.maxClientMessageBytes);
    if (message.ok) this.handlers.message(message.value);
    else this.ignore(message.kind, message.problem);
  }

  private ignore(kind: string, problem: string): void {
    this.handlers.ignored(problem);
    this.refuse(kind, 'Ignored data channel message', { problem });
  }

  private refuse(kind: string, message: string, meta: Record<string, unknown>): void {
    refusals.count('client_message');
    this.budget.warn(this.log, kind, message, meta);
  }
}
