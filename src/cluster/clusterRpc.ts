import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { errorMessage, type Logger } from '../logger';
import type { RedisLink } from './redisLink';
import { InstanceUnreachableError, isError } from '../errors';
import type { SessionCaller } from '../protocol';

/** What one instance may ask another about a session it holds. */
export type RpcMethod = 'view' | 'close';

interface RpcRequest {
  request_id: string;
  /** The caller's instance id: the reply goes to its channel. */
  from: string;
  method: RpcMethod;
  session_id: string;
  /** Who asked the forwarding instance: the call carries its rights, no more (absent from an instance that predates it). */
  caller?: SessionCaller;
}

interface RpcReply {
  reply_to: string;
  /** The answer (a session record, or null for a session the instance does not know). */
  result?: unknown;
  error?: string;
}

export interface ClusterRpcOptions {
  link: RedisLink;
  prefix: string;
  instanceId: string;
  timeoutMs: number;
  logger: Logger;
  /** Answers another instance's request about one of this instance's sessions. */
  handle(method: RpcMethod, sessionId: string, caller: SessionCaller | null): Promise<unknown>;
}

/**
 * Calls between instances over Redis pub/sub: each instance listens on `<prefix>rpc:<id>`, and a
 * request names the caller's channel for the reply. A request nobody listens to fails at once
 * (PUBLISH reaches no subscriber); one unanswered within `timeoutMs` fails then.
 */
/**
 * The caller a request carries, read as hostile input: none (an older instance) is null; a
 * malformed one a publisher with no subject, who owns nothing.
 */
function callerOf(request: RpcRequest): SessionCaller | null {
  const caller: unknown = request.caller;
  if (caller === undefined) return null;
  const { role, subject } = (caller ?? {}) as Partial<SessionCaller>;
  if ((role === 'admin' || role === 'publish') && typeof subject === 'string' && subject.length <= 512) return { role, subject };
  return { role: 'publish', subject: '' };
}

export class ClusterRpc {
  private readonly subscriber: Redis;
  private readonly pending = new Map<string, { resolve(result: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout }>();
  private closed = false;
  /** Answers being worked out or sent: closing waits for them. */
  private readonly answering = new Set<Promise<void>>();

  constructor(private readonly options: ClusterRpcOptions) {
    this.subscriber = options.link.duplicate('rpc');
    // Subscriptions are made again on every (re)connection: the link turns ioredis's own resubscription off.
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.channel(options.instanceId)).catch((error: unknown) => {
        options.logger.warn('Cluster calls: subscription failed', { error: errorMessage(error) });
      });
    });
    this.subscriber.on('message', (_channel: string, message: string) => this.receive(message));
  }

  /** Asks `instanceId` to run `method` on one of its sessions. */
  async call(instanceId: string, method: RpcMethod, sessionId: string, caller?: SessionCaller): Promise<unknown> {
    if (this.closed) throw new InstanceUnreachableError('this instance is shutting down');
    const request: RpcRequest = { request_id: randomUUID(), from: this.options.instanceId, method, session_id: sessionId, ...(caller ? { caller: { role: caller.role, subject: caller.subject } } : {}) };
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(request.request_id);
        reject(new InstanceUnreachableError(`instance ${instanceId} did not answer within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      this.pending.set(request.request_id, { resolve, reject, timer });
    });
    // Until the send has been tried, a timeout must not surface as an unhandled rejection.
    answer.catch(() => {});
    try {
      const receivers = await this.options.link.redis.publish(this.channel(instanceId), JSON.stringify(request));
      if (receivers === 0) throw new InstanceUnreachableError(`instance ${instanceId} is not listening`);
    } catch (error) {
      this.settle(request.request_id, undefined, isError(error, 'InstanceUnreachableError') ? error : new InstanceUnreachableError(`Redis: ${errorMessage(error)}`));
    }
    return answer;
  }

  /**
   * Fails the calls still waiting and takes no new request, then waits for the answers already
   * under way to be sent. (Race: a forwarded DELETE of a draining instance's last session ends
   * the drain, and so closes the instance, before the answer is published.) Idempotent; the
   * link closes the connection.
   */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.subscriber.removeAllListeners('message');
      for (const requestId of [...this.pending.keys()]) this.settle(requestId, undefined, new InstanceUnreachableError('this instance is shutting down'));
    }
    await Promise.all(this.answering);
  }

  private receive(message: string): void {
    let parsed: RpcRequest | RpcReply;
    try {
      parsed = JSON.parse(message) as RpcRequest | RpcReply;
    } catch {
      this.options.logger.warn('Cluster calls: unreadable message ignored', { length: message.length });
      return;
    }
    if ('reply_to' in parsed) {
      this.settle(parsed.reply_to, parsed.result, parsed.error === undefined ? undefined : new Error(parsed.error));
    } else if (!this.closed) {
      const answered = this.answer(parsed).finally(() => this.answering.delete(answered));
      this.answering.add(answered);
    }
  }

  private async answer(request: RpcRequest): Promise<void> {
    let reply: RpcReply;
    try {
      reply = { reply_to: request.request_id, result: (await this.options.handle(request.method, request.session_id, callerOf(request))) ?? null };
    } catch (error) {
      reply = { reply_to: request.request_id, error: errorMessage(error) };
    }
    await this.options.link.redis.publish(this.channel(request.from), JSON.stringify(reply)).catch((error: unknown) => {
      this.options.logger.warn('Cluster calls: reply not sent', { to: request.from, method: request.method, error: errorMessage(error) });
    });
  }

  private settle(requestId: string, result: unknown, error: Error | undefined): void {
    const waiting = this.pending.get(requestId);
    if (!waiting) return;
    this.pending.delete(requestId);
    clearTimeout(waiting.timer);
    if (error) waiting.reject(error);
    else waiting.resolve(result);
  }

  private channel(instanceId: string): string {
    return `${this.options.prefix}rpc:${instanceId}`;
  }
}
