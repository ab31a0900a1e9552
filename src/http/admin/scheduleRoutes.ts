import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { describePauseChange, listSchedules, setSchedulePaused } from '../../jobs/index.js';
import type { System } from '../../app/system.js';
import { requireAdminOrSession, type Sessions } from '../auth/index.js';
import { notFound, parseRequest } from '../errors.js';

const MAX_REASON = 500;

const pauseBody = z
  .strictObject({
    job: z.string().min(1).max(100),
    paused: z.boolean(),
    reason: z.string().trim().min(1).max(MAX_REASON).optional(),
  })
  .refine((body) => body.paused || body.reason === undefined, { path: ['reason'], message: 'only a pause takes a reason' });

/**
 * GET /api/admin/schedules lists the recovery schedules with their pause switch; POST /api/admin/schedules
 * `{job, paused, reason?}` pauses or resumes one on every instance (the dashboard's toggle posts here too, with
 * its session and CSRF token). Admin only.
 */
export function registerScheduleRoutes(app: FastifyInstance, system: System, sessions: Sessions): void {
  const auth = { preHandler: requireAdminOrSession(system.db, sessions) };

  app.get('/api/admin/schedules', auth, async () => ({ schedules: await listSchedules(system.db, system.jobs, system.config) }));

  app.post('/api/admin/schedules', auth, async (request) => {
    const body = parseRequest(pauseBody, request.body ?? {});
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
