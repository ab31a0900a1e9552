import { frozenCreditsSummary, type FrozenCreditsSummary } from '../../../ledger/index.js';
import { listNotifications, outboxCounts, type OutboxEntry, type OutboxStatus } from '../../../notify/index.js';
import {
  executionStats,
  executionView,
  listExecutions,
  listTasks,
  type ExecutionStats,
  type ExecutionView,
  type TaskListRow,
} from '../../../recovery/index.js';
import { listSchedules, type ScheduleView } from '../../../scheduler/index.js';
import type { System } from '../../../system.js';

/**
 * The schedules and run history the cron-jobs page shows: the same functions GET /api/admin/schedules and
 * GET /api/admin/cron-jobs answer from.
 */
export interface CronJobsData {
  schedules: ScheduleView[];
  stats: ExecutionStats;
  executions: ExecutionView[];
}

export const EXECUTIONS_SHOWN = 50;

export async function loadCronJobs(system: System): Promise<CronJobsData> {
  const schedules = await listSchedules(system.db, system.config);
  const stats = await executionStats(system.db);
  const rows = await listExecutions(system.db, { limit: EXECUTIONS_SHOWN });
  return { schedules, stats, executions: rows.map(executionView) };
}

export interface TasksData {
  stuck: { tasks: TaskListRow[]; total: number };
  stuckAfterMs: number;
  pendingStuckMs: number;
  frozen: FrozenCreditsSummary;
  dead: OutboxEntry[];
  outbox: Record<OutboxStatus, number>;
}

export const STUCK_SHOWN = 50;
export const DEAD_SHOWN = 50;

export async function loadTasks(system: System): Promise<TasksData> {
  const { db, config } = system;
  const stuck = await listTasks(db, {
    stuck: { processingMs: config.stuckAfterMs, pendingMs: config.pendingStuckMs },
    limit: STUCK_SHOWN,
    offset: 0,
  });
  const frozen = await frozenCreditsSummary(db, 10);
  const dead = await listNotifications(db, { status: 'dead', limit: DEAD_SHOWN });
  const outbox = await outboxCounts(db);
  return { stuck, stuckAfterMs: config.stuckAfterMs, pendingStuckMs: config.pendingStuckMs, frozen, dead, outbox };
}
