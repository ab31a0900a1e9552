import { Cron } from 'croner';
import { ConfigError, type Config } from '../config/index.js';
import type { Queryable } from '../db/index.js';
import type { AnyJob } from './descriptor.js';
import { pauseJob } from './sql/pauseJob.js';
import { readPauses, type PauseRow } from './sql/readPauses.js';
import { resumeJob } from './sql/resumeJob.js';
import { listRuns, type RunRow } from './sql/runs.js';

/** A schedule set to this runs nowhere in this process (the job can still be run by cron route, admin or CLI). */
export const SCHEDULE_OFF = 'off';

/** Runs an operator started by hand: they still run while the job is paused. */
const MANUAL_TRIGGERS = new Set(['admin', 'cli']);

export interface LastRun {
  executionId: string;
  /** cron: a scheduled tick; http: the cron route (an external scheduler); admin, cli: by hand. */
  trigger: string;
  manual: boolean;
  status: RunRow['status'];
  startedAt: string;
  completedAt: string | null;
}

/** A job's schedule as `settle schedules`, GET /api/admin/schedules and the dashboard show it. */
export interface ScheduleView {
  job: string;
  title: string;
  /** The croner pattern of this process's configuration, or "off". */
  pattern: string;
  /** The configuration variable that sets the pattern. */
  variable: string;
  paused: boolean;
  pausedAt: string | null;
  pausedBy: string | null;
  reason: string | null;
  /** Ticks skipped (recorded as 'paused') since the pause in force began. */
  skippedTicks: number;
  /** When the last pause or resume happened, and who did it; null if the switch was never used. */
  updatedAt: string | null;
  updatedBy: string | null;
  /** The next scheduled tick that will run: null while paused or when the schedule is off. */
  nextRun: string | null;
  /** The job's latest run, whoever started it. */
  lastRun: LastRun | null;
}

export class UnknownJobError extends Error {
  constructor(
    readonly jobName: string,
    known: readonly string[],
  ) {
    super(`No scheduled job named "${jobName}"; the jobs are ${known.join(', ')}`);
    this.name = 'UnknownJobError';
  }
}

/** The job of that name, or UnknownJobError naming the known ones. */
export function findJob<J extends AnyJob<unknown>>(jobs: readonly J[], name: string): J {
  const job = jobs.find((j) => j.name === name);
  if (!job) throw new UnknownJobError(name, jobs.map((j) => j.name));
  return job;
}

export async function listSchedules(db: Queryable, jobs: readonly AnyJob<unknown>[], config: Config, now = new Date()): Promise<ScheduleView[]> {
  const switches = await readPauses(db);
  const views: ScheduleView[] = [];
  for (const job of jobs) {
    const [last] = (await listRuns(db, { limit: 1, jobName: job.name })).runs;
    views.push(scheduleView(job, job.schedule.pattern(config), switches.get(job.name), last, now));
  }
  return views;
}

export interface PauseChange {
  paused: boolean;
  /** Who flips the switch: an admin's e-mail and channel, or the CLI's user and host. */
  by: string;
  reason?: string | null;
}

/**
 * Pauses or resumes a job on every instance. changed is false when the job was already in that state (nothing is
 * written). A run in progress is not interrupted: it finishes and records itself; the pause stops the ticks after.
 */
export async function setSchedulePaused(
  db: Queryable,
  jobs: readonly AnyJob<unknown>[],
  config: Config,
  jobName: string,
  change: PauseChange,
): Promise<{ schedule: ScheduleView; changed: boolean }> {
  findJob(jobs, jobName);
  const row = change.paused ? await pauseJob(db, jobName, change.by, change.reason ?? null) : await resumeJob(db, jobName, change.by);
  const schedule = (await listSchedules(db, jobs, config)).find((s) => s.job === jobName)!;
  return { schedule, changed: row !== null };
}

/** One line for the operator who paused or resumed a job (API answer, CLI, dashboard). */
export function describePauseChange(s: ScheduleView, changed: boolean): string {
  if (!changed) return `${s.job} was already ${s.paused ? 'paused' : 'running on its schedule'}; nothing changed`;
  if (!s.paused) return `${s.job} is resumed: ${s.nextRun ? `the next tick (${s.nextRun}) runs it` : `its schedule is "${s.pattern}"`}`;
  const running = s.lastRun?.status === 'running' ? `; the run started at ${s.lastRun.startedAt} is still in progress and will finish` : '';
  return `${s.job} is paused on every instance: no scheduled tick runs it until it is resumed${running}`;
}

function scheduleView(job: AnyJob<unknown>, pattern: string, row: PauseRow | undefined, last: RunRow | undefined, now: Date): ScheduleView {
  const paused = row?.paused ?? false;
  const { variable } = job.schedule;
  return {
    job: job.name,
    title: job.title,
    pattern,
    variable,
    paused,
    pausedAt: row?.paused_at?.toISOString() ?? null,
    pausedBy: row?.paused_by ?? null,
    reason: row?.reason ?? null,
    skippedTicks: row?.skipped_ticks ?? 0,
    updatedAt: row?.updated_at.toISOString() ?? null,
    updatedBy: row?.updated_by ?? null,
    nextRun: paused || pattern === SCHEDULE_OFF ? null : nextTick(variable, pattern, now),
    lastRun: last ? lastRunView(last) : null,
  };
}

function nextTick(variable: string, pattern: string, now: Date): string | null {
  const cron = checkedCron(variable, pattern);
  const next = cron.nextRun(now);
  cron.stop();
  return next?.toISOString() ?? null;
}

/** A bad pattern fails with one line naming the variable, like any other bad configuration. */
export function checkedCron(variable: string, pattern: string): Cron {
  try {
    return new Cron(pattern, { paused: true });
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${variable}: ${(err as Error).message} (or "${SCHEDULE_OFF}")`);
  }
}

function lastRunView(row: RunRow): LastRun {
  return {
    executionId: row.id,
    trigger: row.trigger,
    manual: MANUAL_TRIGGERS.has(row.trigger),
    status: row.status,
    startedAt: row.started_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
  };
}
