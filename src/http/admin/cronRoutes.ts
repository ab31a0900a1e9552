import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  JobAlreadyRunningError,
  recoverySettings,
  runRecoveryJob,
  withProviderLimits,
  type CleanupResult,
  type JobName,
  type JobOverrides,
  type JobTrigger,
  type ReconcileResult,
  type RecoveryRun,
} from '../../recovery/index.js';
import { raiseRunAlerts } from '../../notify/index.js';
import { isSchedulePaused } from '../../scheduler/index.js';
import type { System } from '../../system.js';
import { requireCronSecret } from '../auth/index.js';
import { ApiError } from '../errors.js';

/**
 * GET and POST /api/cron/process-stuck-tasks and /api/cron/cleanup-jobs, for an external scheduler (Vercel cron,
 * a Kubernetes CronJob, curl). Bearer CRON_SECRET; with none configured they answer 503 and are never open. While
 * the job is paused they answer 200 `{success, skipped: true, message}` and record nothing.
 */
export function registerCronRoutes(app: FastifyInstance, system: System): void {
  const preHandler = requireCronSecret(system.config.cronSecret);
  for (const job of ['process-stuck-tasks', 'cleanup-jobs'] as const) {
    app.route({
      method: ['GET', 'POST'],
      url: `/api/cron/${job}`,
      preHandler,
      handler: async (_request, reply) => {
        // The cron route is an external scheduler's tick: a pause holds for it as for the built-in schedule.
        if (await isSchedulePaused(system.db, job)) return reply.send({ success: true, skipped: true, message: `${job} is paused; nothing was run` });
        return sendRun(reply, await runNow(system, job, 'http'));
      },
    });
  }
}

/** Runs a recovery job now, sharing this process's provider rate limit; a run already in progress is a 409. */
export async function runNow(
  system: System,
  job: JobName,
  trigger: JobTrigger,
  overrides: JobOverrides = {},
): Promise<RecoveryRun<ReconcileResult | CleanupResult>> {
  const deps = withProviderLimits(system.tasks, system.config.providerRateLimit);
  try {
    return await runRecoveryJob(deps, recoverySettings(system.config), job, trigger, overrides, {
      onFinished: (tx, run) => raiseRunAlerts(tx, run, system.alerts),
    });
  } catch (err) {
    if (err instanceof JobAlreadyRunningError) throw new ApiError(409, 'already_running', err.message);
    throw err;
  }
}

/** The documented answer of either job: 200 when the run completed, 500 (recorded as failed) when it did not. */
export function sendRun(reply: FastifyReply, run: RecoveryRun<ReconcileResult | CleanupResult>) {
  if (run.status === 'failed') {
    return reply.status(500).send({
      success: false,
      message: `${run.jobName} failed: ${run.error}`,
      error: { code: 'job_failed', message: run.error ?? 'The run failed' },
      executionId: run.executionId,
      duration: run.durationMs,
    });
  }
  if (run.jobName === 'cleanup-jobs') return reply.send(cleanupAnswer(run as RecoveryRun<CleanupResult>));
  return reply.send(reconcileAnswer(run as RecoveryRun<ReconcileResult>));
}

function reconcileAnswer(run: RecoveryRun<ReconcileResult>) {
  const r = run.results!;
  const { totalFound, dryRun, ...results } = r;
  const verb = dryRun ? 'Dry run: found' : 'Processed';
  return {
    success: true,
    message:
      `${verb} ${totalFound} stuck tasks: ${r.completed} completed, ${r.failed} failed, ${r.stillProcessing} still processing, ` +
      `${r.retried} retried, ${r.redispatched} re-dispatched, ${r.errors} errors`,
    results,
    duration: run.durationMs,
    totalFound,
    executionId: run.executionId,
    dryRun,
  };
}

function cleanupAnswer(run: RecoveryRun<CleanupResult>) {
  const r = run.results!;
  const would = r.dryRun ? 'Dry run: would clean up' : 'Cleaned up';
  return {
    success: true,
    result: r,
    message:
      `${would} ${r.cleanedUp} of ${r.totalFound} timed-out tasks, refunding ${r.tokensRefunded} credits ` +
      `(${r.failed} failed, ${r.skipped} skipped)`,
    executionId: run.executionId,
    duration: run.durationMs,
  };
}
