import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/index.js';
import type { Logger } from '../log/index.js';
import {
  beatExecution,
  findRunningExecution,
  finishExecution,
  startExecution,
  takeOverAbandonedRun,
  type ExecutionRow,
  type FinishedRun,
} from './sql/executions.js';

/** Who started a run: the scheduler, the cron HTTP routes, the CLI, or an admin (API or dashboard). */
export type JobTrigger = 'cron' | 'http' | 'cli' | 'admin';

export interface JobDeps {
  db: Db;
  logger: Logger;
  instanceId: string;
}

export interface RunJobOptions {
  /** The cron tick this run belongs to (scheduled runs). */
  scheduledFor?: Date;
  /** How often a running run says it is alive. */
  heartbeatMs?: number;
  /** A 'running' row silent for this long belongs to a dead process and is taken over. */
  staleAfterMs?: number;
  /** Runs in the transaction that records the finished run (alerts go to the outbox with it). */
  onFinished?: RunFinishedHook;
  /** Aborted when the process shuts down: the reconciler then takes no further batch. */
  stopping?: AbortSignal;
}

/** A finished run as hooks (the alert rules) see it. */
export interface FinishedRunSummary {
  executionId: string;
  jobName: string;
  status: 'completed' | 'failed';
  durationMs: number;
  results: Record<string, unknown>;
  errorMessage: string | null;
}

export type RunFinishedHook = (tx: Queryable, run: FinishedRunSummary) => Promise<unknown>;

export interface JobRun<R> {
  executionId: string;
  jobName: string;
  trigger: JobTrigger;
  status: 'completed' | 'failed';
  durationMs: number;
  results?: R;
  error?: string;
}

export class JobAlreadyRunningError extends Error {
  constructor(
    readonly jobName: string,
    readonly running: ExecutionRow | null,
  ) {
    const since = running ? ` since ${running.started_at.toISOString()} (${running.owner ?? 'unknown owner'})` : '';
    super(`A ${jobName} run is already in progress${since}`);
    this.name = 'JobAlreadyRunningError';
  }
}

const HEARTBEAT_MS = 15_000;
const STALE_AFTER_MS = 60_000;

/**
 * Runs fn as one recorded execution of jobName: a cron_job_executions row that is 'running' while fn runs, then
 * 'completed' with fn's results or 'failed' with the error message. Runs of one job never overlap, on any
 * instance: a second start throws JobAlreadyRunningError (a unique index allows one 'running' row per job). A
 * failure of fn is recorded and returned, not thrown.
 */
export async function runJob<R>(
  deps: JobDeps,
  jobName: string,
  trigger: JobTrigger,
  fn: () => Promise<R>,
  options: RunJobOptions = {},
): Promise<JobRun<R>> {
  const execution = await begin(deps, jobName, trigger, options);
  const started = Date.now();
  const heartbeat = setInterval(() => {
    beatExecution(deps.db, execution.id).catch((err: unknown) => deps.logger.warn({ err, jobName }, 'run heartbeat failed'));
  }, options.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();
  const run = { executionId: execution.id, jobName, trigger };
  try {
    const results = await fn();
    const row = await finish(deps, execution.id, { status: 'completed', results }, options.onFinished);
    if (!row) deps.logger.warn({ jobName, executionId: execution.id }, 'run finished after it had been taken over as abandoned');
    return { ...run, status: 'completed', durationMs: row?.duration ?? Date.now() - started, results };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    deps.logger.error({ err, jobName, executionId: execution.id }, 'run failed');
    const row = await finish(deps, execution.id, { status: 'failed', errorMessage: error }, options.onFinished);
    return { ...run, status: 'failed', durationMs: row?.duration ?? Date.now() - started, error };
  } finally {
    clearInterval(heartbeat);
  }
}

async function begin(deps: JobDeps, jobName: string, trigger: JobTrigger, options: RunJobOptions): Promise<ExecutionRow> {
  const start = () => startExecution(deps.db, { id: randomUUID(), jobName, trigger, owner: deps.instanceId, scheduledFor: options.scheduledFor });
  const row = await start();
  if (row) return row;
  const abandoned = await takeOverAbandonedRun(deps.db, jobName, options.staleAfterMs ?? STALE_AFTER_MS);
  if (abandoned) {
    deps.logger.warn({ jobName, executionId: abandoned.id, owner: abandoned.owner }, 'took over an abandoned run (marked failed)');
    const retried = await start();
    if (retried) return retried;
  }
  throw new JobAlreadyRunningError(jobName, await findRunningExecution(deps.db, jobName));
}

/**
 * Records the end of a run, with the hook in the same transaction. A failing hook must not leave the run
 * 'running' (blocking the job): the run is then recorded without it, and the failure logged. The hook is skipped
 * while an operator has the job paused: its runs are then the operator's own manual runs during an incident, and
 * they see each result where they started it, so the alert rules (failed run, N failures in a row...) stay quiet.
 */
async function finish(deps: JobDeps, id: string, finished: FinishedRun, onFinished: RunFinishedHook | undefined): Promise<ExecutionRow | null> {
  if (onFinished) {
    try {
      return await deps.db.transaction(async (tx) => {
        const row = await finishExecution(tx, id, finished);
        if (row && !row.job_paused) await onFinished(tx, summaryOf(row));
        return row;
      });
    } catch (err) {
      deps.logger.error({ err, executionId: id }, 'the run-finished hook failed; recording the run without it');
    }
  }
  return finishExecution(deps.db, id, finished);
}

function summaryOf(row: ExecutionRow): FinishedRunSummary {
  return {
    executionId: row.id,
    jobName: row.job_name,
    status: row.status === 'failed' ? 'failed' : 'completed',
    durationMs: row.duration ?? 0,
    results: row.results ?? {},
    errorMessage: row.error_message,
  };
}
