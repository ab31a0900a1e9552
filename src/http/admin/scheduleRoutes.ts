import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describePauseChange, listSchedules, setSchedulePaused } from '../../jobs/index.js';
import type { System } from '../../app/system.js';
import { requireAdminOrSession, type Sessions } from '../auth/index.js';
import { AUTH_ERRORS, BEARER_OR_SESSION, errorResponses, openObject } from '../contract.js';
import { notFound } from '../errors.js';

const MAX_REASON = 500;

const pauseBody = z
  .strictObject({
    job: z.string().min(1).max(100),
    paused: z.boolean(),
    reason: z.string().trim().min(1).max(MAX_REASON).optional(),
  })
  .refine((body) => body.paused || body.reason === undefined, { path: ['reason'], message: 'only a pause takes a reason' });

const schedule = z.looseObject({ job: z.string(), pattern: z.string(), paused: z.boolean() });

/**
 * GET /api/admin/schedules lists the recovery schedules with their pause switch; POST /api/admin/schedules
 * `{job, paused, reason?}` pauses or resumes one on every instance (the dashboard's toggle posts here too, with
 * its session and CSRF token). Admin only.
 */
export function registerScheduleRoutes(app: FastifyInstance, system: System, sessions: Sessions): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const admin = requireAdminOrSession(system.db, sessions);
  const route = (summary: string) => ({ tags: ['operations'], summary, security: BEARER_OR_SESSION });

  api.get('/api/admin/schedules', { preValidation: admin, schema: { ...route('The recovery schedules and their pause switches'), response: { 200: openObject({ schedules: z.array(schedule) }, 'each job with its pattern, pause state and next run'), ...errorResponses(...AUTH_ERRORS) } } }, async () => ({
    schedules: await listSchedules(system.db, system.jobs, system.config),
  }));

  api.post('/api/admin/schedules', { preValidation: admin, schema: { ...route('Pause or resume a schedule on every instance'), body: pauseBody, response: { 200: openObject({ schedule, changed: z.boolean(), message: z.string() }, 'the schedule after the change'), ...errorResponses(...AUTH_ERRORS, 404) } } }, async (request) => {
    const body = request.body;
    if (!system.jobs.some((j) => j.name === body.job)) throw notFound(`No scheduled job named "${body.job}"`);
    const by = actor(request);
    const { schedule, changed } = await setSchedulePaused(system.db, system.jobs, system.config, body.job, { paused: body.paused, by, reason: body.reason });
    if (changed) request.log.info({ job: body.job, paused: body.paused, userId: request.principal!.userId }, body.paused ? 'schedule paused' : 'schedule resumed');
    return { schedule, changed, message: describePauseChange(schedule, changed) };
  });
}

/** Who flipped the switch, as the schedule records it: the admin's e-mail and where they did it. */
function actor(request: FastifyRequest): string {
  return `${request.principal!.email} (${request.adminSession ? 'dashboard' : 'admin API'})`;
}
