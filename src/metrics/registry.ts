import { collectDefaultMetrics, Gauge, Registry, type Metric } from 'prom-client';
import type { Queryable } from '../db/index.js';
import type { Logger } from '../log/index.js';
import { providerErrorsCounter } from './providerErrors.js';
import {
  LATENCY_BUCKETS,
  readSnapshot,
  RUN_DURATION_BUCKETS,
  type HistogramData,
  type MetricsSnapshot,
} from './snapshot.js';

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}

/**
 * A metric whose samples come from the last database snapshot, in the shape prom-client's Registry formats
 * (name, help, type, get()). Nothing is kept between scrapes, so the values are always the database's: the same on
 * every instance, hence the `max` aggregator and the note in each help text.
 */
class SnapshotMetric {
  readonly aggregator = 'max';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    private readonly samples: (s: MetricsSnapshot) => Sample[],
    private readonly current: () => MetricsSnapshot | null,
  ) {}

  async get() {
    const snapshot = this.current();
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: snapshot ? this.samples(snapshot) : [] };
  }
}

function histogramSamples(name: string, labels: Labels, bounds: readonly number[], h: HistogramData): Sample[] {
  return [
    ...bounds.map((b, i) => ({ metricName: `${name}_bucket`, labels: { ...labels, le: String(b) }, value: h.buckets[i] ?? 0 })),
    { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count },
    { metricName: `${name}_sum`, labels, value: h.sum },
    { metricName: `${name}_count`, labels, value: h.count },
  ];
}

/** Adds histograms of the same label set (several task statuses share a settlement path). */
function mergeHistograms(items: HistogramData[]): HistogramData {
  const out: HistogramData = { buckets: [], sum: 0, count: 0 };
  for (const h of items) {
    h.buckets.forEach((v, i) => (out.buckets[i] = (out.buckets[i] ?? 0) + v));
    out.sum += h.sum;
    out.count += h.count;
  }
  return out;
}

/** The result fields that mean something for each job (a cleanup run has no "retried", a reconcile run no "cleaned_up"). */
const RESULTS_BY_JOB: Record<string, string[]> = {
  'process-stuck-tasks': ['found', 'completed', 'failed', 'still_processing', 'retried', 'redispatched', 'late_results', 'errors'],
  'cleanup-jobs': ['found', 'cleaned_up', 'credits_refunded', 'errors'],
};

const TASK_STATUSES = ['pending', 'processing', 'completed', 'failed', 'canceled'];
const TERMINAL = new Set(['completed', 'failed', 'canceled']);

export interface MetricsOptions {
  db: Queryable;
  logger: Logger;
  /** Node.js process metrics (CPU, memory, event loop, GC); default true. */
  processMetrics?: boolean;
  /** This process's open task event streams, read at scrape time. */
  openEventStreams?: () => number;
}

export interface Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  /** Reads the database once and renders every metric as Prometheus text. */
  render(): Promise<string>;
}

/**
 * The /metrics registry: task, settlement, credit, recovery-run and outbox figures computed from the database at
 * scrape time (exact across processes, at a cost that does not grow with history), the in-process provider-error counter, and Node.js process metrics.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  let snapshot: MetricsSnapshot | null = null;
  let inFlight: Promise<void> | null = null;
  const current = () => snapshot;

  const dbUp = new Gauge({ name: 'settle_metrics_database_up', help: '1 when the last scrape could read the database, else 0 (database figures are then left out)', registers: [registry] });
  const scrapeSeconds = new Gauge({ name: 'settle_metrics_scrape_duration_seconds', help: 'Time the last scrape spent reading the database', registers: [registry] });

  const add = (name: string, help: string, type: SnapshotMetric['type'], samples: (s: MetricsSnapshot) => Sample[]) =>
    registry.registerMetric(new SnapshotMetric(name, `${help} (cluster-wide, from the database: max() across instances, not sum())`, type, samples, current) as unknown as Metric);

  add('settle_tasks', 'Tasks by current status', 'gauge', (s) =>
    TASK_STATUSES.map((status) => ({
      labels: { status },
      value: s.tasks.filter((g) => g.status === status).reduce((sum, g) => sum + g.tasks, 0),
    })),
  );

  add('settle_task_settlements_total', 'Settled tasks (completed, failed, canceled) by the path that settled them (tasks.settled_by)', 'counter', (s) =>
    s.tasks.filter((g) => TERMINAL.has(g.status)).map((g) => ({ labels: { path: g.path || 'unknown', status: g.status }, value: g.tasks })),
  );

  add('settle_settlement_latency_seconds', 'From the provider finishing a task (tasks.provider_completed_at) to the task being completed and charged, by settlement path', 'histogram', (s) => {
    const byPath = new Map<string, HistogramData[]>();
    for (const g of s.tasks.filter((t) => t.status === 'completed')) {
      const path = g.path || 'unknown';
      byPath.set(path, [...(byPath.get(path) ?? []), g.latency]);
    }
    return [...byPath].flatMap(([path, hs]) => histogramSamples('settle_settlement_latency_seconds', { path }, LATENCY_BUCKETS, mergeHistograms(hs)));
  });

  add('settle_task_provider_errors_total', 'Provider errors recorded against tasks (tasks.provider_errors), all codes', 'counter', (s) => [
    { labels: {}, value: s.tasks.reduce((sum, g) => sum + g.providerErrors, 0) },
  ]);

  add('settle_credits_frozen', 'Credits frozen by open holds across all users', 'gauge', (s) => [{ labels: {}, value: s.credits.frozen }]);
  add('settle_credit_holds_open', 'Open credit holds (running tasks)', 'gauge', (s) => [{ labels: {}, value: s.credits.openHolds }]);

  add('settle_cron_runs_total', 'Finished recovery runs (cron_job_executions) by job and status', 'counter', (s) =>
    s.runs.map((r) => ({ labels: { job: r.job, status: r.status }, value: r.runs })),
  );
  add('settle_cron_runs_running', 'Recovery runs in progress, by job', 'gauge', (s) => s.running.map((r) => ({ labels: { job: r.job }, value: r.runs })));
  add('settle_cron_run_duration_seconds', 'Duration of finished recovery runs, by job', 'histogram', (s) => {
    const byJob = new Map<string, HistogramData[]>();
    for (const r of s.runs) byJob.set(r.job, [...(byJob.get(r.job) ?? []), r.duration]);
    return [...byJob].flatMap(([job, hs]) => histogramSamples('settle_cron_run_duration_seconds', { job }, RUN_DURATION_BUCKETS, mergeHistograms(hs)));
  });
  add('settle_cron_run_tasks_total', 'Sum of the results of finished recovery runs, by job and result (found, completed, failed, still_processing, retried, redispatched, late_results, cleaned_up, credits_refunded, errors)', 'counter', (s) => {
    const totals = new Map<string, number>();
    for (const r of s.runs) {
      const wanted = RESULTS_BY_JOB[r.job];
      for (const [result, value] of Object.entries(r.results)) {
        if (wanted && !wanted.includes(result)) continue;
        const key = `${r.job}\u0000${result}`;
        totals.set(key, (totals.get(key) ?? 0) + value);
      }
    }
    return [...totals].map(([key, value]) => {
      const [job, result] = key.split('\u0000') as [string, string];
      return { labels: { job, result }, value };
    });
  });
  add('settle_cron_last_run_timestamp_seconds', 'Start time of the last finished run, by job', 'gauge', (s) =>
    s.lastRuns.map((r) => ({ labels: { job: r.job }, value: r.startedAt.getTime() / 1000 })),
  );
  add('settle_cron_last_run_success', '1 when the last finished run of the job completed, 0 when it failed', 'gauge', (s) =>
    s.lastRuns.map((r) => ({ labels: { job: r.job }, value: r.status === 'completed' ? 1 : 0 })),
  );
  add('settle_cron_last_run_duration_seconds', 'Duration of the last finished run, by job', 'gauge', (s) =>
    s.lastRuns.filter((r) => r.durationMs !== null).map((r) => ({ labels: { job: r.job }, value: r.durationMs! / 1000 })),
  );

  add('settle_outbox_notifications', 'Outbox entries by channel and status', 'gauge', (s) =>
    s.outbox.map((o) => ({ labels: { channel: o.channel, status: o.status }, value: o.entries })),
  );
  const outboxTotal = (s: MetricsSnapshot, status: string) => s.outbox.filter((o) => o.status === status).reduce((sum, o) => sum + o.entries, 0);
  add('settle_outbox_backlog', 'Notifications waiting to be delivered (outbox status pending)', 'gauge', (s) => [{ labels: {}, value: outboxTotal(s, 'pending') }]);
  add('settle_outbox_dead', 'Notifications that failed every attempt (outbox status dead)', 'gauge', (s) => [{ labels: {}, value: outboxTotal(s, 'dead') }]);
  add('settle_outbox_oldest_pending_age_seconds', 'Age of the oldest pending notification (0 when none)', 'gauge', (s) => [
    { labels: {}, value: s.oldestPendingNotificationAgeSeconds },
  ]);

  registry.registerMetric(providerErrorsCounter);
  const openEventStreams = options.openEventStreams;
  if (openEventStreams) {
    new Gauge({ name: 'settle_event_streams_open', help: 'Task event streams open in this process', registers: [registry], collect() { this.set(openEventStreams()); } });
  }
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const refresh = async (): Promise<void> => {
    const started = performance.now();
    try {
      snapshot = await readSnapshot(options.db);
      dbUp.set(1);
    } catch (err) {
      snapshot = null;
      dbUp.set(0);
      options.logger.warn({ err }, 'metrics scrape could not read the database');
    } finally {
      scrapeSeconds.set((performance.now() - started) / 1000);
    }
  };

  return {
    registry,
    contentType: registry.contentType,
    async render() {
      // Concurrent scrapes share one database read.
      inFlight ??= refresh().finally(() => (inFlight = null));
      await inFlight;
      return registry.metrics();
    },
  };
}
