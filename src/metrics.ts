import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import { refusals } from './limits/refusals';
import type { SessionView } from './protocol';
import type { RedisLinkStats } from './cluster/redisLink';
import type { SummaryWebhookStats } from './summaries/summaryWebhook';

export interface MetricSources {
  /** Sessions in the tracking set; their lifecycle state is read on each scrape. */
  liveSessions(): Iterable<{ state: string }>;
  /** Summary-webhook totals, or null when no webhook is configured. */
  webhookStats(): SummaryWebhookStats | null;
  /** Connections each media worker holds, by worker name; empty when they live on the main thread. */
  mediaWorkerLoads?(): Record<string, number>;
  /** Each media worker's event-loop delay p99 since the previous call, seconds, by worker name. */
  mediaWorkerLoopDelays?(): Promise<Record<string, number>>;
  /** This instance's link to Redis in a cluster, or null without one. */
  redisStats?(): RedisLinkStats | null;
  /** Requests whose rate limits were counted in this instance's memory because Redis was away (cluster only). */
  rateLimitsCountedLocally?(): number;
}

const WEBHOOK_OUTCOMES = ['delivered', 'failed', 'retried', 'dropped'] as const;

/**
 * The server's Prometheus metrics on its own registry. Frame, detection and audio counters are
 * added from each session's final summary when it is released, so they move at session end,
 * not while media flows.
 */
export class ServerMetrics {
  private readonly sessionsClosed: Counter<'reason'>;
  private readonly teardownSeconds: Histogram;
  private readonly framesReceived: Counter;
  private readonly framesProcessed: Counter;
  private readonly framesAnalyzed: Counter;
  private readonly framesNotSampled: Counter;
  private readonly framesDropped: Counter<'reason'>;
  private readonly detections: Counter;
  private readonly audioFrames: Counter;
  private readonly mediaPacketsIgnored: Counter<'kind'>;
  private readonly whipIceUpdates: Counter<'kind'>;

  constructor(readonly registry: Registry, sources: MetricSources) {
    const registers = [registry];
    collectDefaultMetrics({ register: registry });

    new Gauge({
      name: 'sessions_active',
      help: 'Sessions in the tracking set, by lifecycle state',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const session of sources.liveSessions()) this.inc({ state: session.state });
      },
    });
    this.sessionsClosed = new Counter({
      name: 'sessions_closed_total',
      help: 'Sessions released, by close reason',
      labelNames: ['reason'],
      registers,
    });
    this.teardownSeconds = new Histogram({
      name: 'session_teardown_seconds',
      help: 'From the close trigger (or the last track end) to the session being released',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    });
    this.framesReceived = new Counter({ name: 'frames_received_total', help: 'Video frames received, counted at session end', registers });
    this.framesProcessed = new Counter({ name: 'frames_processed_total', help: 'Video frames processed (analysed, or decoded and not sampled), counted at session end', registers });
    this.framesAnalyzed = new Counter({ name: 'frames_analyzed_total', help: 'Video frames a detector looked at, counted at session end', registers });
    this.framesNotSampled = new Counter({
      name: 'frames_not_sampled_total',
      help: 'Video frames decoded but not analysed because of ANALYSIS_FPS, counted at session end',
      registers,
    });
    this.framesDropped = new Counter({
      name: 'frames_dropped_total',
      help: 'Video frames dropped, by reason, counted at session end',
      labelNames: ['reason'],
      registers,
    });
    this.detections = new Counter({ name: 'detections_total', help: 'Detections reported, counted at session end', registers });
    this.audioFrames = new Counter({ name: 'audio_frames_total', help: 'Audio frames received, counted at session end', registers });
    this.mediaPacketsIgnored = new Counter({
      name: 'media_packets_ignored_total',
      help: 'RTP and RTCP packets dropped as unauthenticated or malformed, counted at session end',
      labelNames: ['kind'],
      registers,
    });
    this.whipIceUpdates = new Counter({
      name: 'whip_ice_updates_total',
      help: 'WHIP PATCH requests applied, by kind: trickle (candidates added) or restart (ICE restarted)',
      labelNames: ['kind'],
      registers,
    });

    new Counter({
      name: 'summary_webhook_deliveries_total',
      help: 'Summary webhook deliveries, by outcome',
      labelNames: ['outcome'],
      registers,
      collect() {
        this.reset();
        const stats = sources.webhookStats();
        if (stats) for (const outcome of WEBHOOK_OUTCOMES) this.inc({ outcome }, stats[outcome]);
      },
    });
    new Gauge({
      name: 'media_worker_connections',
      help: 'Peer connections each media worker holds (MEDIA_WORKERS), closing ones included',
      labelNames: ['worker'],
      registers,
      collect() {
        this.reset();
        for (const [worker, connections] of Object.entries(sources.mediaWorkerLoads?.() ?? {})) this.set({ worker }, connections);
      },
    });
    new Counter({
      name: 'input_refused_total',
      help: 'Input from the network refused or dropped, by resource: over its budget (docs/security.md) or not parseable',
      labelNames: ['resource'],
      registers,
      collect() {
        // This thread's counts, the media workers' included (they report them with their status).
        for (const [resource, count] of Object.entries(refusals.take() ?? {})) this.inc({ resource }, count ?? 0);
      },
    });
    new Gauge({
      name: 'media_worker_event_loop_delay_p99_seconds',
      help: 'Event-loop delay p99 of each media worker since the previous scrape (nodejs_eventloop_lag_p99_seconds is the main thread\'s)',
      labelNames: ['worker'],
      registers,
      async collect() {
        this.reset();
        for (const [worker, seconds] of Object.entries((await sources.mediaWorkerLoopDelays?.()) ?? {})) this.set({ worker }, seconds);
      },
    });
    if (sources.redisStats?.()) this.registerRedis(registers, () => sources.redisStats?.() ?? null);
    if (sources.rateLimitsCountedLocally) {
      new Counter({
        name: 'rate_limit_counted_locally_total',
        help: 'Requests whose rate limits this instance counted alone because Redis was away (REDIS_URL): their budgets held per instance, not across the cluster',
        registers,
        collect() {
          this.reset();
          this.inc(sources.rateLimitsCountedLocally?.() ?? 0);
        },
      });
    }
    new Gauge({
      name: 'summary_webhook_queued',
      help: 'Summaries waiting for webhook delivery',
      registers,
      collect() {
        this.set(sources.webhookStats()?.queued ?? 0);
      },
    });
  }

  /** The state of this instance's link to Redis (only in a cluster). */
  private registerRedis(registers: Registry[], redis: () => RedisLinkStats | null): void {
      new Gauge({
        name: 'redis_up',
        help: 'Whether this instance reaches Redis (REDIS_URL): 1 up, 0 unreachable (only with REDIS_URL)',
        registers,
        collect() {
          const stats = redis();
          if (stats) this.set(stats.up ? 1 : 0);
        },
      });
      new Gauge({
        name: 'redis_backlog',
        help: 'Records and summaries waiting in memory for Redis to come back',
        registers,
        collect() {
          this.set(redis()?.backlog ?? 0);
        },
      });
      new Counter({
        name: 'redis_backlog_dropped_total',
        help: 'Records and summaries dropped from a full Redis backlog (REDIS_BACKLOG_LIMIT)',
        registers,
        collect() {
          this.reset();
          this.inc(redis()?.dropped ?? 0);
        },
      });
      new Counter({
        name: 'redis_outages_total',
        help: 'Times this instance lost its connection to Redis',
        registers,
        collect() {
          this.reset();
          this.inc(redis()?.outages ?? 0);
        },
      });
  }

  /** Counts a released session: its close reason, teardown time and final summary. */
  recordRelease(view: SessionView, teardownSeconds: number | null): void {
    this.sessionsClosed.inc({ reason: view.reason ?? 'unknown' });
    if (teardownSeconds !== null) this.teardownSeconds.observe(teardownSeconds);
    const summary = view.summary;
    if (!summary) return;
    this.framesReceived.inc(summary.total_frames_received);
    this.framesProcessed.inc(summary.total_frames_processed);
    this.framesAnalyzed.inc(summary.total_frames_analyzed);
    this.framesNotSampled.inc(summary.total_frames_not_sampled);
    for (const [reason, count] of Object.entries(summary.dropped_by_reason)) this.framesDropped.inc({ reason }, count ?? 0);
    this.detections.inc(summary.total_detections);
    this.audioFrames.inc(summary.audio_frames);
    this.mediaPacketsIgnored.inc({ kind: 'rtp' }, summary.ignored_rtp_packets);
    this.mediaPacketsIgnored.inc({ kind: 'rtcp' }, summary.ignored_rtcp_packets);
  }

  /** Counts a WHIP PATCH the server applied. */
  recordWhipIceUpdate(kind: 'trickle' | 'restart'): void {
    this.whipIceUpdates.inc({ kind });
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
