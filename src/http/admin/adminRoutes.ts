import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { executionView, listRuns, runStats } from '../../jobs/index.js';
import { retryTaskNow } from '../../recovery/index.js';
import { adminTaskTotal, listTasksForAdmin, type TaskListRow } from '../../tasks/index.js';
import { emailsOf, findUserByEmail } from '../../users/index.js';
import type { System } from '../../app/system.js';
import { requireAdminOrSession, type Sessions } from '../auth/index.js';
import { runNow, sendRun } from './cronRoutes.js';
import { AUTH_ERRORS, BEARER_OR_SESSION, cursor, decodeCursor, encodeCursor, errorResponses, openObject, timeIdKey } from '../contract.js';
import { ApiError, notFound } from '../errors.js';

const DAY_MS = 24 * 60 * 60_000;

const cleanupBody = z.strictObject({
  timeoutMs: z.number().int().positive().max(7 * DAY_MS).optional(),
  dryRun: z.boolean().optional(),
  batchSize: z.number().int().positive().max(1000).optional(),
});
const retryBody = z.strictObject({ dryRun: z.boolean().optional() });
const page = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: cursor.optional(),
};
const tasksQuery = z.strictObject({
  status: z.enum(['pending', 'processing', 'completed', 'failed', 'canceled']).optional(),
  stuck: z.enum(['true', 'false']).optional(),
  user: z.string().trim().min(1).max(320).optional(),
  ...page,
});
const taskParams = z.object({ id: z.uuid() });
const tags = ['operations'];
/** A job run's answer: the job's documented shape (see each job), or `{success: false, error}` when it failed. */
const runAnswer = z.looseObject({ success: z.boolean().optional(), message: z.string().optional() }).describe("the job's answer");

const runHistory = openObject(
  { executions: z.array(z.looseObject({ id: z.uuid(), jobName: z.string(), status: z.string() })), stats: z.looseObject({}), nextCursor: z.string().nullable() },
  'runs newest first, a page at a time (pass nextCursor as cursor for the next), and their statistics',
);
const adminTaskList = openObject(
  { tasks: z.array(z.looseObject({ taskId: z.uuid(), userId: z.uuid(), status: z.string() })), total: z.number().int(), limit: z.number().int(), nextCursor: z.string().nullable() },
  'tasks with their operator fields (lease, attempts, deadlines), a page at a time: pass nextCursor as cursor for the next',
);
const retried = openObject({ taskId: z.uuid(), dryRun: z.boolean(), status: z.string() }, 'what the retry did (action, outcome)');

/** The operator API (an admin key; a user key is 403): run history, manual runs, stuck tasks, retry. */
export function registerAdminRoutes(app: FastifyInstance, system: System, sessions: Sessions): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const admin = requireAdminOrSession(system.db, sessions);
  const jobNames = z.enum(system.jobs.map((j) => j.name) as [string, ...string[]]);
  const triggerBody = z.strictObject({ job: jobNames, dryRun: z.boolean().optional() });
  const executionsQuery = z.strictObject({ limit: page.limit, job: jobNames.optional(), cursor: cursor.optional() });
  const runErrors = errorResponses(...AUTH_ERRORS, 404, 409);
  const route = (summary: string) => ({ tags, summary, security: BEARER_OR_SESSION });

  api.post(
    '/api/admin/jobs/cleanup',
    { preValidation: admin, schema: { ...route('Run the timeout cleanup now'), body: cleanupBody, response: { 200: runAnswer, 500: runAnswer, ...runErrors } } },
    async (request, reply) => sendRun(reply, system, await runNow(system, 'cleanup-jobs', 'admin', request.body)),
  );

  api.post(
    '/api/admin/trigger-cron',
    { preValidation: admin, schema: { ...route('Run a recovery job now'), body: triggerBody, response: { 200: runAnswer, 500: runAnswer, ...runErrors } } },
    async (request, reply) => sendRun(reply, system, await runNow(system, request.body.job, 'admin', { dryRun: request.body.dryRun })),
  );

  api.get(
    '/api/admin/cron-jobs',
    { preValidation: admin, schema: { ...route('Recent job runs and their statistics'), querystring: executionsQuery, response: { 200: runHistory, ...errorResponses(...AUTH_ERRORS) } } },
    async (request) => {
      const { limit, job, cursor: from } = request.query;
      const { runs, next } = await listRuns(system.db, { limit, jobName: job, before: decodeCursor(from, timeIdKey) });
      return { executions: runs.map(executionView), stats: await runStats(system.db), nextCursor: encodeCursor(next) };
    },
  );

  api.get(
    '/api/admin/tasks',
    { preValidation: admin, schema: { ...route('Tasks for operators: by status, stuck, user'), querystring: tasksQuery, response: { 200: adminTaskList, ...errorResponses(...AUTH_ERRORS) } } },
    async (request) => {
      const query = request.query;
      const stuck = query.stuck === 'true' ? { processingMs: system.config.stuckAfterMs, pendingMs: system.config.pendingStuckMs } : undefined;
      const after = decodeCursor(query.cursor, timeIdKey);
      const userId = query.user ? await userIdOf(system, query.user) : undefined;
      if (userId === null) return { tasks: [], total: 0, limit: query.limit, nextCursor: null };
      const filters = { status: query.status, stuck, userId };
      const { tasks, next } = await listTasksForAdmin(system.db, { ...filters, limit: query.limit, after });
      const total = await adminTaskTotal(system.db, filters);
      const emails = await emailsOf(system.db, tasks.map((t) => t.user_id));
      return { tasks: tasks.map((t) => taskListView(t, emails.get(t.user_id) ?? null)), total, limit: query.limit, nextCursor: encodeCursor(next) };
    },
  );

  api.post(
    '/api/admin/tasks/:id/retry',
    { preValidation: admin, schema: { ...route('Re-dispatch or re-check a task now'), params: taskParams, body: retryBody, response: { 200: retried, ...errorResponses(...AUTH_ERRORS, 404, 409) } } },
    async (request) => {
      const { dryRun } = request.body;
      const { task, verdict } = await retryTaskNow(system.tasks, request.params.id, { dryRun, path: 'admin' });
      if (!task) throw notFound('No such task');
      if (verdict && 'skipped' in verdict) {
        const code = task.status === 'pending' || task.status === 'processing' ? 'task_busy' : 'not_retryable';
        throw new ApiError(409, code, `Not retried: ${verdict.skipped}`);
      }
      return { taskId: task.id, dryRun: dryRun ?? false, action: verdict?.action, outcome: verdict?.outcome, status: task.status };
    },
  );
}

/** The `user` filter is a user id or an e-mail address; null when it names nobody. */
async function userIdOf(system: System, user: string): Promise<string | null> {
  if (z.uuid().safeParse(user).success) return user;
  return (await findUserByEmail(system.db, user))?.id ?? null;
}

function taskListView(row: TaskListRow, email: string | null) {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    taskId: row.id,
    userId: row.user_id,
    email,
    type: row.type,
    model: row.model,
    status: row.status,
    progress: row.progress,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    providerTaskId: row.provider_task_id,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? row.error_code } : null,
    lateResult: row.late_result,
    settledBy: row.settled_by,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: iso(row.lease_expires_at),
    nextCheckAt: iso(row.next_check_at),
    dispatchedAt: iso(row.dispatched_at),
    processingStartedAt: iso(row.processing_started_at),
    deadlineAt: iso(row.deadline_at),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    completedAt: iso(row.completed_at),
    ageMs: row.age_ms,
  };
}
