import type { Db } from '../db/index.js';
import type { Logger } from '../log/index.js';
import { JobAlreadyRunningError } from './runJob.js';
import { claimTick, pruneTicks, recordTickOutcome } from './sql/ticks.js';

export interface SchedulerDeps {
  db: Db;
  logger: Logger;
  instanceId: string;
}

export interface ScheduledJob {
  name: string;
  /** A croner pattern: 5 fields, or 6 with seconds first. */
  pattern: string;
  /**
   * One recorded run for the tick; throws JobAlreadyRunningError while the previous run goes on. `stopping` is
   * aborted when the scheduler stops: a long run should then wrap up rather than be cut off by the exit.
   */
  run(tickAt: Date, stopping: AbortSignal): Promise<{ executionId: string | null; status: 'completed' | 'failed' }>;
}

/**
 * ran / failed: this instance ran the tick; claimed_elsewhere: another instance has it; overlap: the previous run
 * of the job was still going, so this tick is skipped (runs never overlap); paused: an operator paused the job,
 * so the tick is recorded as skipped and nobody runs it.
 */
export type TickOutcome = 'ran' | 'failed' | 'overlap' | 'paused' | 'claimed_elsewhere';

const KEEP_TICKS_MS = 7 * 24 * 60 * 60_000;

export async function fireTick(deps: SchedulerDeps, job: ScheduledJob, tickAt: Date, stopping: AbortSignal): Promise<TickOutcome> {
  const claim = await claimTick(deps.db, job.name, tickAt, deps.instanceId);
  if (claim === 'claimed_elsewhere') return claim;
  try {
    if (claim === 'paused') return claim;
    const run = await job.run(tickAt, stopping);
    const outcome = run.status === 'completed' ? 'ran' : 'failed';
    await recordTickOutcome(deps.db, job.name, tickAt, outcome, run.executionId);
    return outcome;
  } catch (err) {
    if (!(err instanceof JobAlreadyRunningError)) throw err;
    await recordTickOutcome(deps.db, job.name, tickAt, 'overlap', null);
    return 'overlap';
  } finally {
    await pruneTicks(deps.db, job.name, KEEP_TICKS_MS).catch(() => undefined);
  }
}
