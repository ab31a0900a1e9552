import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Db, Queryable } from '../db/index.js';
import type { Logger } from '../log/index.js';
import type { AnyJob, JobOverrides, JobRun, JobTrigger, RunProgress, RunSummary } from './descriptor.js';
import { summaryOf } from './runView.js';
import { beatRun, findRunningRun, finishRun, startRun, takeOverAbandonedRun, type FinishedRun, type RunRow } from './sql/runs.js';

export interface JobRunnerDeps {
  db: Db;
  logger: Logger;
  instanceId: string;
  config: Config;
}

/** A finished run as the hooks (the alert rules) see it. */
export interface FinishedRunSummary {
  executionId: string;
  jobName: string;
  status: 'completed' | 'failed';
  durationMs: number;
  summary: RunSummary;
  errorMessage: string | null;
}

/** Runs in the transaction that records the finished run, so what it queues (alerts) commits with it. */
export type RunFinishedHook = (tx: Queryable, run: FinishedRunSummary) => Promise<unknown>;

export interface RunOptions {
  overrides?: JobOverrides;
  /** The cron tick this run belongs to (scheduled runs). */
  scheduledFor?: Date;
  /** Aborted when the process shuts down: the run then wraps up. */
  stopping?: AbortSignal;
  progress?: RunProgress;
  /** How often a running run says it is alive. */
  heartbeatMs?: number;
  /** A 'running' row silent for this long belongs to a dead process and is taken over. */
  staleAfterMs?: number;
}

export class JobAlreadyRunningError extends Error {
  constructor(
    readonly jobName: string,
    readonly running: RunRow | null,
  ) {
    const since = running ? ` since ${running.started_at.toISOString()} (${running.owner ?? 'unknown owner'})` : '';
    super(`A ${jobName} run is already in progress${since}`);
    this.name = 'JobAlreadyRunningError';
  }
}

const HEARTBEAT_MS = 15_000;
const STALE_AFTER_MS = 60_000;

/**
 * The one way a job runs, whoever starts it (scheduler, cron route, admin, CLI): a cron_job_executions row that is
 * 'running' while the job works, then 'completed' with its results and summary, or 'failed' with the error. Runs of
 * one job never overlap on any instance: a second start throws JobAlreadyRunningError (a unique index allows one
 * 'running' row per job). A failure of the job is recorded and returned, not thrown. A dry run records nothing.
 */
export async function runJob<Deps, R>(
  runner: JobRunnerDeps & { onFinished?: RunFinishedHook },
  job: AnyJob<Deps>,
  deps: Deps,
  trigger: JobTrigger,
  options: RunOptions = {},
): Promise<JobRun<R>> {
  const overrides = options.overrides ?? {};
  const work = (): Promise<R> => job.run({ deps, config: runner.config, overrides, stopping: options.stopping, progress: options.progress });
  const run = { jobName: job.name, trigger, dryRun: Boolean(overrides.dryRun) };
  if (overrides.dryRun) {
    const started = Date.now();
    try {
      const results = await work();
      return { ...run, executionId: null, status: 'completed', durationMs: Date.now() - started, results, summary: job.summarize(results) };
    } catch (err) {
      return { ...run, executionId: null, status: 'failed', durationMs: Date.now() - started, error: err instanceof Error ? err.message : String(err) };
    }
  }
  const execution = await begin(runner, job.name, trigger, options);
  const started = Date.now();
  const heartbeat = setInterval(() => {
    beatRun(runner.db, execution.id).catch((err: unknown) => runner.logger.warn({ err, jobName: job.name }, 'run heartbeat failed'));
  }, options.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();
  try {
    const results = await work();
    const summary = job.summarize(results);
    const row = await finish(runner, execution.id, { status: 'completed', results, summary });
    if (!row) runner.logger.warn({ jobName: job.name, executionId: execution.id }, 'run finished after it had been taken over as abandoned');
    return { ...run, executionId: execution.id, status: 'completed', durationMs: row?.duration ?? Date.now() - started, results, summary };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    runner.logger.error({ err, jobName: job.name, executionId: execution.id }, 'run failed');
    const row = await finish(runner, execution.id, { status: 'failed', errorMessage: error });
    return { ...run, executionId: execution.id, status: 'failed', durationMs: row?.duration ?? Date.now() - started, error };
  } finally {
    clearInterval(heartbeat);
  }
}

async function begin(runner: JobRunnerDeps, jobName: string, trigger: JobTrigger, options: RunOptions): Promise<RunRow> {
  const start = () => startRun(runner.db, { id: randomUUID(), jobName, trigger, owner: runner.instanceId, scheduledFor: options.scheduledFor });
  const row = await start();
  if (row) return row;
  const abandoned = await takeOverAbandonedRun(runner.db, jobName, options.staleAfterMs ?? STALE_AFTER_MS);
  if (abandoned) {
    runner.logger.warn({ jobName, executionId: abandoned.id, owner: abandoned.owner }, 'took over an abandoned run (marked failed)');
    const retried = await start();
    if (retried) return retried;
  }
  throw new JobAlreadyRunningError(jobName, await findRunningRun(runner.db, jobName));
}

/**
 * Records the end of a run, with the hook in the same transaction. A failing hook must not leave the run
 * 'running' (blocking the job): the run is then recorded without it, and the failure logged. The hook is skipped
 * while an operator has the job paused: its runs are then the operator's own manual runs during an incident, and
 * they see each result where they started it, so the alert rules (failed run, N failures in a row...) stay quiet.
 */
async function finish(runner: JobRunnerDeps & { onFinished?: RunFinishedHook }, id: string, finished: FinishedRun) {
  const { onFinished } = runner;
  if (onFinished) {
    try {
      return await runner.db.transaction(async (tx) => {
        const row = await finishRun(tx, id, finished);
        if (row && !row.job_paused) await onFinished(tx, finishedRun(row));
        return row;
      });
    } catch (err) {
      runner.logger.error({ err, executionId: id }, 'the run-finished hook failed; recording the run without it');
    }
  }
  return finishRun(runner.db, id, finished);
}

function finishedRun(row: RunRow): FinishedRunSummary {
  return {
    executionId: row.id,
    jobName: row.job_name,
    status: row.status === 'failed' ? 'failed' : 'completed',
    durationMs: row.duration ?? 0,
    summary: summaryOf(row),
    errorMessage: row.error_message,
  };
}
