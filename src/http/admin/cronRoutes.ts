import type { FastifyInstance, FastifyReply } from 'fastify';
import { isJobPaused, JobAlreadyRunningError, UnknownJobError, type JobOverrides, type JobRun, type JobTrigger } from '../../jobs/index.js';
import type { System } from '../../app/system.js';
import { requireCronSecret } from '../auth/index.js';
import { CRON_SECRET, errorResponses } from '../contract.js';
import { ApiError, notFound } from '../errors.js';

/**
 * GET and POST /api/cron/<job> for every job, for an external scheduler (Vercel cron, a Kubernetes CronJob,
 * supercronic, curl). Bearer CRON_SECRET; with none configured they answer 503 and are never open. While the job is
 * paused they answer 200 `{success, skipped: true, message}` and record nothing. A run started here stops taking
 * batches after CRON_ROUTE_BUDGET_MS and answers, so a caller with a short HTTP timeout sees its answer; the
 * backlog continues at the next call.
 */
export function registerCronRoutes(app: FastifyInstance, system: System): void {
  const preValidation = requireCronSecret(system.config.cronSecret);
  for (const job of system.jobs) {
    app.route({
      method: ['GET', 'POST'],
      url: `/api/cron/${job.name}`,
      preValidation,
      schema: {
        tags: ['cron'],
        summary: `Run ${job.name} (for an external scheduler)`,
        security: CRON_SECRET,
        response: errorResponses(401, 409, 503),
      },
      handler: async (_request, reply) => {
        // The cron route is an external scheduler's tick: a pause holds for it as for the built-in schedule.
        if (await isJobPaused(system.db, job.name)) return reply.send({ success: true, skipped: true, message: `${job.name} is paused; nothing was run` });
        return sendRun(reply, system, await runNow(system, job.name, 'http', { budgetMs: system.config.cronRouteBudgetMs }));
      },
    });
  }
}

/** Runs a job now; an unknown job is a 404, a run already in progress a 409. */
export async function runNow(system: System, jobName: string, trigger: JobTrigger, overrides: JobOverrides = {}): Promise<JobRun<unknown>> {
  try {
    return await system.runJob(jobName, trigger, { overrides });
  } catch (err) {
    if (err instanceof UnknownJobError) throw notFound(err.message);
    if (err instanceof JobAlreadyRunningError) throw new ApiError(409, 'already_running', err.message);
    throw err;
  }
}

/** The job's documented answer when the run completed; 500 (recorded as failed) when it did not. */
export function sendRun(reply: FastifyReply, system: System, run: JobRun<unknown>) {
  if (run.status === 'failed') {
    return reply.status(500).send({
      success: false,
      message: `${run.jobName} failed: ${run.error}`,
      error: { code: 'job_failed', message: run.error ?? 'The run failed' },
      executionId: run.executionId,
      duration: run.durationMs,
    });
  }
  return reply.send(system.jobs.find((j) => j.name === run.jobName)!.answer(run));
}
