import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { resendNotification } from '../../../notify/index.js';
import type { JobRun, RunSummary } from '../../../jobs/index.js';
import { retryTaskNow } from '../../../recovery/index.js';
import type { System } from '../../../app/system.js';
import { findTask } from '../../../tasks/index.js';
import { authenticateApiKey } from '../../../users/index.js';
import { runNow } from '../../admin/cronRoutes.js';
import { ApiError } from '../../errors.js';
import { loadAssets } from './assets.js';
import { loadCronJobs, loadTasks } from './data.js';
import { cronJobsFragment, cronJobsPage, signInPage, tasksFragment, tasksPage, type PageContext } from './pages.js';
import { assertCsrf, checkSession, requireAdminOrSession, sameOriginRequest, type Sessions } from '../../auth/index.js';

const HOME = '/admin/cron-jobs';
const DEFAULT_REFRESH_SECONDS = 60;

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const idParams = z.object({ id: z.uuid() });

/**
 * The admin dashboard, served by the app itself: sign-in at /admin, the pages /admin/cron-jobs and /admin/tasks,
 * the HTML fragments their script refreshes, the page's actions under /admin/api (session + CSRF checked), and the
 * static files under /admin/assets. The actions call the same recovery, ledger and outbox functions as the JSON
 * admin API; the pages render on the server with every value escaped.
 */
export async function registerDashboard(app: FastifyInstance, system: System, sessions: Sessions): Promise<void> {
  const assets = loadAssets();
  const admin = requireAdminOrSession(system.db, sessions);
  const triggerBody = z.strictObject({ job: z.enum(system.jobs.map((j) => j.name) as [string, ...string[]]) });

  // The page's own routes: the dashboard's, not the API's, so they stay out of the OpenAPI document.
  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    const adminJson = { preValidation: admin, schema: { hide: true } };
    const withId = { preValidation: admin, schema: { hide: true, params: idParams } };
    // The sign-in and sign-out forms post urlencoded bodies; only this scope accepts them.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    scope.addHook('onSend', async (request, reply, payload) => {
      reply.header('x-content-type-options', 'nosniff');
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'same-origin');
      if (!request.url.startsWith('/admin/assets/')) reply.header('cache-control', 'no-store');
      const type = String(reply.getHeader('content-type') ?? '');
      if (type.startsWith('text/html')) reply.header('content-security-policy', CSP);
      return payload;
    });

    /** Pages: without a valid session, to the sign-in form (and back here afterwards). */
    const page = async (request: FastifyRequest, reply: FastifyReply) => {
      const session = await checkSession(system.db, sessions, request);
      if (session.ok) {
        request.principal = session.principal;
        request.adminSession = session.claims;
        return;
      }
      if (session.reason !== 'none') sessions.clear(request, 'dashboard');
      const query = new URLSearchParams({ next: request.url });
      if (session.reason !== 'none') query.set('expired', '1');
      return reply.redirect(`/admin?${query}`, 303);
    };
    const context = (request: FastifyRequest): PageContext => ({
      email: request.principal!.email ?? request.principal!.userId,
      csrfToken: sessions.csrfToken(request.adminSession!),
    });

    // Pages answer GET only: a HEAD of a page has no use, and would be one more unauthenticated answer to review.
    const pageOnly = { exposeHeadRoute: false, schema: { hide: true } };

    scope.get('/admin', pageOnly, async (request, reply) => {
      const session = await checkSession(system.db, sessions, request);
      const next = safeNext((request.query as Record<string, unknown>).next);
      if (session.ok) return reply.redirect(next, 303);
      if (session.reason !== 'none') sessions.clear(request, 'dashboard');
      const q = request.query as Record<string, unknown>;
      const notice = q.signed_out ? 'You are signed out.' : q.expired || session.reason !== 'none' ? 'Your session ended or is not valid; sign in again.' : undefined;
      return reply.type('text/html; charset=utf-8').send(signInPage({ next, notice }));
    });

    scope.post('/admin/login', { schema: { hide: true } }, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const next = safeNext(body.next);
      const refuse = (status: number, error: string) => reply.status(status).type('text/html; charset=utf-8').send(signInPage({ next, error }));
      if (!sameOriginRequest(sessions, request)) return refuse(403, 'Sign-in refused: the form was not sent from this site.');
      const apiKey = typeof body.apiKey === 'string' ? body.apiKey.trim() : '';
      if (!apiKey) return refuse(401, 'Paste an admin API key to sign in.');
      const principal = await authenticateApiKey(system.db, apiKey);
      if (!principal) return refuse(401, 'That API key is not valid, or it has been revoked.');
      if (principal.role !== 'admin') {
        request.log.warn({ userId: principal.userId, keyId: principal.keyId }, 'dashboard sign-in refused: not an admin key');
        return refuse(403, 'This is a user key, not an admin key. The dashboard needs a key created with "settle users create --admin".');
      }
      const claims = sessions.open(request, 'dashboard', principal);
      request.log.info({ userId: principal.userId, keyId: principal.keyId, sessionExpiresAt: new Date(claims.exp * 1000).toISOString() }, 'admin signed in to the dashboard');
      return reply.redirect(next, 303);
    });

    scope.post('/admin/logout', { schema: { hide: true } }, async (request, reply) => {
      const session = await checkSession(system.db, sessions, request);
      if (!session.ok) {
        sessions.clear(request, 'dashboard');
        return reply.status(401).type('text/html; charset=utf-8').send(signInPage({ next: HOME, notice: 'You were not signed in.' }));
      }
      // A cross-site request cannot sign anyone out either.
      assertCsrf(sessions, request, session.claims);
      await sessions.close(request, 'dashboard', session.claims);
      request.log.info({ userId: session.principal.userId }, 'admin signed out of the dashboard');
      return reply.redirect('/admin?signed_out=1', 303);
    });

    scope.get('/admin/cron-jobs', { ...pageOnly, preHandler: page }, async (request, reply) => {
      const data = await loadCronJobs(system);
      const html = cronJobsPage(context(request), data, { refreshSeconds: refreshSeconds(request.query) });
      return reply.type('text/html; charset=utf-8').send(html);
    });

    scope.get('/admin/tasks', { ...pageOnly, preHandler: page }, async (request, reply) => {
      const html = tasksPage(context(request), await loadTasks(system));
      return reply.type('text/html; charset=utf-8').send(html);
    });

    // The refreshing parts of the pages (401 JSON without a session, so the script can send the browser to sign in).
    scope.get('/admin/partials/cron-jobs', adminJson, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(cronJobsFragment(await loadCronJobs(system)).value),
    );
    scope.get('/admin/partials/tasks', adminJson, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(tasksFragment(await loadTasks(system)).value),
    );

    scope.post('/admin/api/trigger-cron', { preValidation: admin, schema: { hide: true, body: triggerBody } }, async (request) => {
      const { job } = request.body;
      const run = await triggerJob(system, job);
      request.log.info({ executionId: run.executionId, job, status: run.status, userId: request.principal!.userId }, 'recovery run triggered from the dashboard');
      return run;
    });

    scope.post('/admin/api/tasks/:id/retry', withId, async (request) => {
      const { id } = request.params;
      const before = await findTask(system.db, id);
      if (!before) throw new ApiError(404, 'not_found', 'No task with this id');
      const { task, verdict } = await retryTaskNow(system.tasks, id, { path: 'admin' });
      if (!task) throw new ApiError(404, 'not_found', 'No task with this id');
      if (verdict && 'skipped' in verdict) throw new ApiError(409, 'not_retried', `Not retried: ${verdict.skipped}`);
      const what = verdict?.outcome ?? verdict?.action ?? 'nothing to do';
      request.log.info({ taskId: id, before: before.status, status: task.status, outcome: what, userId: request.principal!.userId }, 'task retried from the dashboard');
      return {
        taskId: task.id,
        before: before.status,
        status: task.status,
        outcome: what,
        message: `Task ${task.id.slice(0, 8)}: ${before.status} → ${task.status} (${what})`,
      };
    });

    scope.post('/admin/api/outbox/:id/resend', withId, async (request) => {
      const { id } = request.params;
      const entry = await resendNotification(system.db, id);
      if (!entry) throw new ApiError(404, 'not_found', 'No dead outbox entry with this id');
      request.log.info({ outboxId: id, userId: request.principal!.userId }, 'dead notification re-sent from the dashboard');
      return { id: entry.id, status: entry.status, message: `Queued ${entry.kind} (${entry.channel}) for delivery again` };
    });

    scope.get('/admin/assets/*', pageOnly, async (request, reply) => {
      const name = (request.params as { '*': string })['*'];
      const asset = assets.get(name);
      if (!asset) throw new ApiError(404, 'not_found', 'No such dashboard asset');
      reply.header('etag', asset.etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
      return reply.type(asset.contentType).send(asset.body);
    });
  });
}

/** Where to go after signing in: only a dashboard path on this site (no open redirect). */
function safeNext(value: unknown): string {
  if (typeof value !== 'string' || value.length > 300) return HOME;
  if (!/^\/admin\/[A-Za-z0-9/_\-.?=&%]*$/.test(value) || value.includes('//') || value.startsWith('/admin/api/')) return HOME;
  return value;
}

/** `?refresh=N` (seconds, 1..3600) overrides the 60 s auto-refresh, for tests and wall screens. */
function refreshSeconds(query: unknown): number {
  const raw = (query as Record<string, unknown>).refresh;
  const n = typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 3600 ? n : DEFAULT_REFRESH_SECONDS;
}

export interface TriggeredRun {
  executionId: string | null;
  jobName: string;
  status: 'completed' | 'failed';
  durationMs: number;
  message: string;
  summary: RunSummary | null;
  error?: string;
}

/**
 * Runs a recovery job now with trigger "admin": the very function POST /api/admin/trigger-cron uses (same provider
 * rate limit, same alerts, 409 while a run is in progress).
 */
async function triggerJob(system: System, jobName: string): Promise<TriggeredRun> {
  const run: JobRun<unknown> = await runNow(system, jobName, 'admin');
  const base = { executionId: run.executionId, jobName, status: run.status, durationMs: run.durationMs, summary: run.summary ?? null };
  if (run.status === 'failed') return { ...base, message: `${jobName} failed: ${run.error}`, error: run.error };
  return { ...base, message: system.jobs.find((j) => j.name === jobName)!.describe(run.results) };
}
