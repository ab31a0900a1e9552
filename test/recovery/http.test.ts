import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/index.js';
import type { TaskRow } from '../../src/tasks/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { age, databaseDigest, submitVideo, taskRow } from './helpers.js';

const SECRET = 'cron-secret-for-tests';

describe('cron and admin HTTP routes', () => {
  let h: Harness;
  let userKey: string;
  let adminKey: string;
  let userEmail: string;
  let userId: string;

  beforeAll(async () => {
    h = await startHarness({ env: { CRON_SECRET: SECRET }, sim: { lostCallbackRate: 1 } });
    const user = await h.user(10_000);
    ({ apiKey: userKey, email: userEmail, userId } = user);
    adminKey = (await h.user(0, 'admin')).apiKey;
  });
  afterAll(() => h.close());

  const cron = (method: string, job: string, secret?: string) => h.api(secret, method, `/api/cron/${job}`);
  const stuckDone = async (): Promise<TaskRow> => {
    const task = await submitVideo(h.system.tasks, userId);
    h.sim.finish(task.provider_task_id!, 'success');
    await age(h.system.db, task.id, { processingMinutes: 20 });
    return task;
  };

  it('cron routes answer 503 when no CRON_SECRET is configured: never open', async () => {
    const app = await buildApp({ ...h.system, config: { ...h.system.config, cronSecret: undefined } });
    try {
      for (const method of ['GET', 'POST'] as const) {
        for (const job of ['process-stuck-tasks', 'cleanup-jobs']) {
          const res = await app.inject({ method, url: `/api/cron/${job}`, headers: { authorization: `Bearer ${SECRET}` } });
          expect(res.statusCode).toBe(503);
          expect(res.json()).toEqual({ error: { code: 'not_configured', message: expect.any(String) } });
        }
      }
    } finally {
      await app.close();
    }
  });

  it('cron routes answer 401 to a wrong or missing secret and run nothing', async () => {
    const before = await databaseDigest(h.system.db);
    for (const secret of ['wrong-secret', undefined, userKey, adminKey]) {
      const res = await cron('POST', 'process-stuck-tasks', secret);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
    expect((await cron('GET', 'cleanup-jobs', 'nope')).status).toBe(401);
    expect(await databaseDigest(h.system.db)).toEqual(before);
  });

  it('process-stuck-tasks with the right secret: 200, the documented shape, and a run history row', async () => {
    const task = await stuckDone();
    const res = await cron('GET', 'process-stuck-tasks', SECRET);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      message: expect.stringContaining('Processed 1 stuck tasks'),
      results: { completed: 1, failed: 0, stillProcessing: 0, retried: 0, redispatched: 0, errors: 0 },
      duration: expect.any(Number),
      totalFound: 1,
      executionId: expect.any(String),
    });
    expect(await taskRow(h.system.db, task.id)).toMatchObject({ status: 'completed', settled_by: 'reconciler' });
    const row = await h.system.db.query('SELECT job_name, trigger, status FROM cron_job_executions WHERE id = $1', [res.body.executionId]);
    expect(row.rows[0]).toEqual({ job_name: 'process-stuck-tasks', trigger: 'http', status: 'completed' });
    expect((await cron('POST', 'process-stuck-tasks', SECRET)).body.totalFound).toBe(0);
  });

  it('cleanup-jobs with the right secret: 200 and the documented shape', async () => {
    const res = await cron('POST', 'cleanup-jobs', SECRET);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, message: expect.any(String), executionId: expect.any(String) });
    expect(Object.keys(res.body.result)).toEqual(expect.arrayContaining(['totalFound', 'cleanedUp', 'failed', 'tokensRefunded', 'jobs', 'errors']));
  });

  it('a run while another of the same job is in progress is a 409, and records nothing', async () => {
    await h.system.db.query(
      `INSERT INTO cron_job_executions (id, job_name, status, trigger, owner, heartbeat_at)
       VALUES ('00000000-0000-4000-8000-000000000409', 'cleanup-jobs', 'running', 'cron', 'elsewhere', now())`,
    );
    try {
      const res = await cron('POST', 'cleanup-jobs', SECRET);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('already_running');
    } finally {
      await h.system.db.query(`DELETE FROM cron_job_executions WHERE id = '00000000-0000-4000-8000-000000000409'`);
    }
  });

  it('admin routes refuse a user key with 403 and no key with 401', async () => {
    const routes: [string, string, unknown?][] = [
      ['POST', '/api/admin/jobs/cleanup', {}],
      ['GET', '/api/admin/cron-jobs'],
      ['POST', '/api/admin/trigger-cron', { job: 'cleanup-jobs' }],
      ['GET', '/api/admin/tasks'],
      ['POST', '/api/admin/tasks/00000000-0000-4000-8000-000000000001/retry', {}],
    ];
    for (const [method, path, body] of routes) {
      const asUser = await h.api(userKey, method, path, body);
      expect(asUser.status, `${method} ${path}`).toBe(403);
      expect(asUser.body.error.code).toBe('forbidden');
      expect((await h.api(undefined, method, path, body)).status).toBe(401);
    }
  });

  it('admin cleanup: a dry run reports and records nothing; bad input is a 400 that changes nothing', async () => {
    const before = await databaseDigest(h.system.db);
    const dry = await h.api(adminKey, 'POST', '/api/admin/jobs/cleanup', { dryRun: true, timeoutMs: 60_000, batchSize: 10 });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ success: true, executionId: null, result: { dryRun: true, timeoutMs: 60_000 } });
    for (const body of [{ timeoutMs: -1 }, { batchSize: 0 }, { dryRun: 'yes' }, { unknown: 1 }, '{not json']) {
      const res = await h.api(adminKey, 'POST', '/api/admin/jobs/cleanup', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    expect(await databaseDigest(h.system.db)).toEqual(before);
  });

  it('admin trigger-cron runs the named job with trigger admin; run history and statistics are listed', async () => {
    const run = await h.api(adminKey, 'POST', '/api/admin/trigger-cron', { job: 'process-stuck-tasks' });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ success: true, results: expect.any(Object), executionId: expect.any(String) });
    expect((await h.api(adminKey, 'POST', '/api/admin/trigger-cron', { job: 'reboot' })).status).toBe(400);

    const list = await h.api(adminKey, 'GET', '/api/admin/cron-jobs');
    expect(list.status).toBe(200);
    expect(list.body.executions[0]).toMatchObject({ id: run.body.executionId, jobName: 'process-stuck-tasks', trigger: 'admin', status: 'completed' });
    expect(Object.keys(list.body.stats)).toEqual(
      expect.arrayContaining(['totalExecutions', 'successRate', 'avgDurationMs', 'tasksRecovered', 'tasksFailed', 'errorRate']),
    );
    expect(list.body.stats.tasksRecovered).toBeGreaterThanOrEqual(1);
    expect((await h.api(adminKey, 'GET', '/api/admin/cron-jobs?limit=0')).status).toBe(400);
  });

  it('admin cron-jobs pages through the run history by cursor, newest first, each run once', async () => {
    for (const job of ['cleanup-jobs', 'process-stuck-tasks', 'cleanup-jobs']) {
      expect((await h.api(adminKey, 'POST', '/api/admin/trigger-cron', { job })).status).toBe(200);
    }
    const all = await h.api(adminKey, 'GET', '/api/admin/cron-jobs?limit=100');
    const ids: string[] = all.body.executions.map((e: { id: string }) => e.id);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect(all.body.nextCursor).toBeNull();

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await h.api(adminKey, 'GET', `/api/admin/cron-jobs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.executions.length).toBeLessThanOrEqual(2);
      paged.push(...page.body.executions.map((e: { id: string }) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(ids);

    const cleanups = await h.api(adminKey, 'GET', '/api/admin/cron-jobs?job=cleanup-jobs&limit=1');
    const next = await h.api(adminKey, 'GET', `/api/admin/cron-jobs?job=cleanup-jobs&limit=1&cursor=${cleanups.body.nextCursor}`);
    expect([...cleanups.body.executions, ...next.body.executions].map((e: { jobName: string }) => e.jobName)).toEqual(['cleanup-jobs', 'cleanup-jobs']);
    expect(next.body.executions[0].id).not.toBe(cleanups.body.executions[0].id);

    const bad = await h.api(adminKey, 'GET', '/api/admin/cron-jobs?cursor=not-a-cursor');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('cursor');
  });

  it('admin tasks: filters by status, stuck and user, paginated; retry re-dispatches or re-checks now', async () => {
    const stuck = await stuckDone();
    h.sim.setFaults({ transientErrorRate: 1 });
    const pending = await submitVideo(h.system.tasks, userId).finally(() => h.sim.setFaults({ transientErrorRate: 0 }));
    await age(h.system.db, pending.id, { createdMinutes: 15 });

    const stuckList = await h.api(adminKey, 'GET', `/api/admin/tasks?stuck=true&user=${encodeURIComponent(userEmail)}`);
    expect(stuckList.status).toBe(200);
    expect(stuckList.body.tasks.map((t: { taskId: string }) => t.taskId).sort()).toEqual([stuck.id, pending.id].sort());
    expect(stuckList.body.tasks[0]).toMatchObject({ email: userEmail, model: 'sora-2-text-to-video', ageMs: expect.any(Number) });
    const completed = await h.api(adminKey, 'GET', '/api/admin/tasks?status=completed&limit=200');
    const all = completed.body.tasks.map((t: { taskId: string }) => t.taskId);
    expect(all.length).toBeGreaterThanOrEqual(1);
    const seen: string[] = [];
    for (let cursor: string | null = null, pages = 0; pages === 0 || cursor; pages++) {
      const page = await h.api(adminKey, 'GET', `/api/admin/tasks?status=completed&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body).toMatchObject({ limit: 1, total: all.length });
      seen.push(...page.body.tasks.map((t: { taskId: string }) => t.taskId));
      cursor = page.body.nextCursor;
    }
    expect(seen).toEqual(all);
    for (const query of ['status=done', 'stuck=maybe', 'limit=1000', 'offset=0', 'cursor=nope', 'cursor=eyJ4IjoxfQ', 'color=red']) {
      expect((await h.api(adminKey, 'GET', `/api/admin/tasks?${query}`)).status, query).toBe(400);
    }

    const redispatched = await h.api(adminKey, 'POST', `/api/admin/tasks/${pending.id}/retry`);
    expect(redispatched.status).toBe(200);
    expect(redispatched.body).toMatchObject({ taskId: pending.id, action: 'redispatch', outcome: 'dispatched', status: 'processing' });
    const rechecked = await h.api(adminKey, 'POST', `/api/admin/tasks/${stuck.id}/retry`, {});
    expect(rechecked.body).toMatchObject({ action: 'complete', outcome: 'completed', status: 'completed' });
    expect(await taskRow(h.system.db, stuck.id)).toMatchObject({ settled_by: 'admin' });
    const terminal = await h.api(adminKey, 'POST', `/api/admin/tasks/${stuck.id}/retry`);
    expect(terminal.status).toBe(409);
    expect(terminal.body.error).toMatchObject({ code: 'not_retryable', message: 'Not retried: already completed' });
    expect((await h.api(adminKey, 'POST', '/api/admin/tasks/00000000-0000-4000-8000-000000000001/retry')).status).toBe(404);
    expect((await h.api(adminKey, 'POST', '/api/admin/tasks/not-a-uuid/retry')).status).toBe(404);
    await expectAuditClean(h.system.db);
  });
});
