import type { Config } from '../config/index.js';

/** Who started a run: the scheduler, the cron HTTP routes, the CLI, or an admin (API or dashboard). */
export type JobTrigger = 'cron' | 'http' | 'cli' | 'admin';

/**
 * What a run did to tasks, the same fields for every job, recorded with the run (columns of cron_job_executions),
 * so the statistics, the dashboard, the CLI, the alerts and the metrics add them up without knowing the job.
 */
export interface RunSummary {
  /** Tasks the run looked at. */
  found: number;
  /** Delivered and charged by this run. */
  completed: number;
  /** Resubmitted to the provider after a transient failure or a deadline with attempts left. */
  retried: number;
  /** Pending tasks sent to the provider again. */
  redispatched: number;
  /** Results of timed-out tasks stored and linked, uncharged. */
  lateResults: number;
  /** Failed and refunded by this run. */
  failed: number;
  /** Tasks whose handling met an error (the provider could not be asked, a step threw). */
  errors: number;
}

export const EMPTY_SUMMARY: RunSummary = { found: 0, completed: 0, retried: 0, redispatched: 0, lateResults: 0, failed: 0, errors: 0 };

/** Per-run overrides from an operator (CLI flags, admin API body). */
export interface JobOverrides {
  dryRun?: boolean;
  batchSize?: number;
  /** A job may take more (cleanup: timeoutMs). */
  [option: string]: unknown;
}

/** Told as a run finds tasks and finishes each one: the CLI draws its progress bar from it. */
export interface RunProgress {
  found(count: number): void;
  handled(): void;
}

export interface JobRunContext<Deps> {
  deps: Deps;
  config: Config;
  overrides: JobOverrides;
  /** Aborted when the process shuts down: a long run wraps up (finishes what it holds, takes nothing new). */
  stopping?: AbortSignal;
  progress?: RunProgress;
}

/** A finished run (recorded, or a dry run that writes nothing). */
export interface JobRun<R> {
  /** Null for a dry run: it writes nothing, not even its run history row. */
  executionId: string | null;
  jobName: string;
  trigger: JobTrigger;
  status: 'completed' | 'failed';
  durationMs: number;
  dryRun: boolean;
  results?: R;
  summary?: RunSummary;
  error?: string;
}

/**
 * Everything about one recurring job, in one place: its name (cron route, run history, alerts, metrics), its
 * schedule, the work, and how its results read. The scheduler, the cron and admin routes, the CLI, the dashboard and
 * the metrics all take jobs from a list of these; a new job is one new descriptor.
 */
export interface JobDescriptor<Deps, R = unknown> {
  name: string;
  /** What the dashboard and alerts call it. */
  title: string;
  /** The variable that holds its cron pattern, and the pattern this configuration gives ("off": not scheduled). */
  schedule: { variable: string; pattern(config: Config): string };
  run(context: JobRunContext<Deps>): Promise<R>;
  summarize(results: R): RunSummary;
  /** One line saying what the run did. */
  describe(results: R): string;
  /** The answer of its cron route (GET/POST /api/cron/<name>) and of an admin trigger, for a completed run. */
  answer(run: JobRun<R>): Record<string, unknown>;
}

export type AnyJob<Deps> = JobDescriptor<Deps, any>;
