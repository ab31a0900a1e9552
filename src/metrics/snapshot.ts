import type { Queryable } from '../db/index.js';
import { readRunCounts, selectLastRuns, type LastFinishedRun, type RunCountResult, type RunCountRow } from '../jobs/index.js';
import { openHoldsTotal } from '../ledger/index.js';
import { oldestPendingAgeSeconds, readOutboxCounts } from '../notify/index.js';
import { readTaskCounts, type TaskCountRow } from '../tasks/index.js';

/**
 * Settlement latency (provider finished -> we settled), seconds. The p99 budget of the webhook path is 1 s.
 * Migration 0018's task_count_key buckets by these bounds; change both together.
 */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] as const;
/** Recovery run duration, seconds; migration 0018's job_run_counts_change buckets by these bounds. */
export const RUN_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900] as const;

export type RunResultLabel = RunCountResult;

export interface HistogramData {
  /** Cumulative counts, one per bucket bound (the +Inf bucket is `count`). */
  buckets: number[];
  sum: number;
  count: number;
}

export interface TaskGroup {
  status: string;
  /** tasks.settled_by; '' while the task is live. */
  path: string;
  tasks: number;
  providerErrors: number;
  /** Completed tasks with a provider completion time only. */
  latency: HistogramData;
}

export interface RunGroup {
  job: string;
  status: string;
  runs: number;
  duration: HistogramData;
  results: Record<RunResultLabel, number>;
}

export type LastRun = LastFinishedRun;

export interface MetricsSnapshot {
  takenAt: Date;
  tasks: TaskGroup[];
  credits: { frozen: number; openHolds: number };
  outbox: { channel: string; status: string; entries: number }[];
  oldestPendingNotificationAgeSeconds: number;
  runs: RunGroup[];
  running: { job: string; runs: number }[];
  lastRuns: LastRun[];
}

const emptyHistogram = (bounds: readonly number[]): HistogramData => ({ buckets: bounds.map(() => 0), sum: 0, count: 0 });

/** Adds `count` observations that lie above `below` bounds (so in every `le` bucket from there on). */
function observe(h: HistogramData, below: number, count: number, sum: number): void {
  for (let i = below; i < h.buckets.length; i++) h.buckets[i]! += count;
  h.count += count;
  h.sum += sum;
}

/** Folds the (status, path, bucket) counts into one group per status and path, with a cumulative histogram. */
function taskGroups(rows: TaskCountRow[]): TaskGroup[] {
  const groups = new Map<string, TaskGroup>();
  for (const r of rows) {
    const key = `${r.status}\u0000${r.path}`;
    let g = groups.get(key);
    if (!g) {
      g = { status: r.status, path: r.path, tasks: 0, providerErrors: 0, latency: emptyHistogram(LATENCY_BUCKETS) };
      groups.set(key, g);
    }
    g.tasks += r.tasks;
    g.providerErrors += r.providerErrors;
    if (r.bucket !== null) observe(g.latency, r.bucket, r.tasks, r.latencySum);
  }
  return [...groups.values()].filter((g) => g.tasks !== 0 || g.providerErrors !== 0);
}

/** Folds the (job, status, bucket) counts into one group per job and status, with a cumulative duration histogram. */
function runGroups(rows: RunCountRow[]): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const r of rows) {
    const key = `${r.job}\u0000${r.status}`;
    let g = groups.get(key);
    if (!g) {
      const results = Object.fromEntries(Object.keys(r.results).map((k) => [k, 0])) as Record<RunResultLabel, number>;
      g = { job: r.job, status: r.status, runs: 0, duration: emptyHistogram(RUN_DURATION_BUCKETS), results };
      groups.set(key, g);
    }
    g.runs += r.runs;
    for (const [label, value] of Object.entries(r.results)) g.results[label as RunResultLabel] += value;
    if (r.bucket !== null) observe(g.duration, r.bucket, r.durationCount, r.durationMsSum / 1000);
  }
  return [...groups.values()].filter((g) => g.runs !== 0);
}

/**
 * Everything /metrics reports from the database, exact across any number of processes (the database is the one
 * place every settlement and run is recorded), at a cost that does not grow with history: the counts are kept as
 * rows change (migration 0018), and the live figures (open holds, the oldest pending notification, the last run per
 * job) are index probes. Each query belongs to the module that owns its table.
 */
export async function readSnapshot(db: Queryable): Promise<MetricsSnapshot> {
  const tasks = await readTaskCounts(db);
  const credits = await openHoldsTotal(db);
  const outbox = await readOutboxCounts(db);
  const oldestPending = await oldestPendingAgeSeconds(db);
  const runs = runGroups(await readRunCounts(db));
  const lastRuns = await selectLastRuns(db);
  return {
    takenAt: new Date(),
    tasks: taskGroups(tasks),
    credits,
    outbox,
    oldestPendingNotificationAgeSeconds: oldestPending,
    runs: runs.filter((r) => r.status !== 'running'),
    running: runs.filter((r) => r.status === 'running').map((r) => ({ job: r.job, runs: r.runs })),
    lastRuns,
  };
}
