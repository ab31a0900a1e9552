import { executionView, listRuns, listSchedules, runStats, type ExecutionView, type RunStats, type ScheduleView } from '../../../jobs/index.js';
import { frozenCreditsSummary, type FrozenCreditsSummary } from '../../../ledger/index.js';
import { listNotifications, outboxCounts, type OutboxEntry, type OutboxStatus } from '../../../notify/index.js';
import { providerAccount, type AccountReading, type ProviderAccountResult } from '../../../recovery/index.js';
import { adminTaskTotal, listTasksForAdmin, type TaskListRow } from '../../../tasks/index.js';
import { emailsOf } from '../../../users/index.js';
import type { System } from '../../../app/system.js';

/**
 * The schedules and run history the cron-jobs page shows: the same functions GET /api/admin/schedules and
 * GET /api/admin/cron-jobs answer from.
 */
export interface CronJobsData {
  schedules: ScheduleView[];
  /** What the latest provider-account run found; null before the first. */
  providerAccounts: { checkedAt: string; readings: AccountReading[] } | null;
  stats: RunStats;
  executions: ExecutionView[];
}

export const EXECUTIONS_SHOWN = 50;

export async function loadCronJobs(system: System): Promise<CronJobsData> {
  const schedules = await listSchedules(system.db, system.jobs, system.config);
  const stats = await runStats(system.db);
  const { runs } = await listRuns(system.db, { limit: EXECUTIONS_SHOWN });
  return { schedules, providerAccounts: await lastAccountReadings(system), stats, executions: runs.map(executionView) };
}

/** The readings of the latest provider-account run: its results when it passed, its error's words when it did not. */
async function lastAccountReadings(system: System): Promise<CronJobsData['providerAccounts']> {
  const [last] = (await listRuns(system.db, { limit: 1, jobName: providerAccount.name })).runs;
  if (!last?.completed_at) return null;
  const checkedAt = last.completed_at.toISOString();
  const results = last.results as ProviderAccountResult | null;
  if (results) return { checkedAt, readings: results.providers };
  return { checkedAt, readings: [{ provider: 'providers', state: 'refused', detail: last.error_message ?? 'the check failed' }] };
}

export interface TasksData {
  stuck: { tasks: (TaskListRow & { email: string | null })[]; total: number };
  stuckAfterMs: number;
  pendingStuckMs: number;
  frozen: { total: number; topHolders: (FrozenCreditsSummary['topHolders'][number] & { email: string | null })[] };
  dead: OutboxEntry[];
  outbox: Record<OutboxStatus, number>;
}

export const STUCK_SHOWN = 50;
export const DEAD_SHOWN = 50;

export async function loadTasks(system: System): Promise<TasksData> {
  const { db, config } = system;
  const filters = { stuck: { processingMs: config.stuckAfterMs, pendingMs: config.pendingStuckMs } };
  const stuck = await listTasksForAdmin(db, { ...filters, limit: STUCK_SHOWN });
  const stuckTotal = await adminTaskTotal(db, filters);
  const frozen = await frozenCreditsSummary(db, 10);
  const emails = await emailsOf(db, [...stuck.tasks.map((t) => t.user_id), ...frozen.topHolders.map((h) => h.userId)]);
  const email = (userId: string) => emails.get(userId) ?? null;
  const dead = (await listNotifications(db, { status: 'dead', limit: DEAD_SHOWN })).entries;
  const outbox = await outboxCounts(db);
  return {
    stuck: { total: stuckTotal, tasks: stuck.tasks.map((t) => ({ ...t, email: email(t.user_id) })) },
    stuckAfterMs: config.stuckAfterMs,
    pendingStuckMs: config.pendingStuckMs,
    frozen: { total: frozen.total, topHolders: frozen.topHolders.map((h) => ({ ...h, email: email(h.userId) })) },
    dead,
    outbox,
  };
}
