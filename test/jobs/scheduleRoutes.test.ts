import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECOVERY_JOBS } from '../../src/recovery/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { age, databaseDigest, submitVideo } from '../recovery/helpers.js';

const SECRET = 'cron-secret-for-schedule-tests';
const JOB = 'process-stuck-tasks';

describe('GET and POST /api/admin/schedules; the cron route and manual runs while paused', () => {
  let h: Harness;
  let adminKey: string;
  let adminEmail: string;
  let userKey: string;
  let userId: string;

  beforeAll(async () => {
    h = await startHarness({ env: { CRON_SECRET: SECRET, RECONCILE_CRON: '*/10 * * * *', CLEANUP_CRON: '*/15 * * * *' }, sim: { lostCallbackRate: 1 } });
    ({ apiKey: adminKey, email: adminEmail } = await h.user(0, 'admin'));
    ({ apiKey: userKey, userId } = await h.user(10_000));
  });
  afterAll(() => h.close());

  /** Everything a pause or a run could touch, the switch table included. */
  const digest = async () => {
    const { rows } = await h.system.db.query(`SELECT job_name, paused, paused_at, paused_by, reason, updated_at, updated_by FROM cron_schedules ORDER BY job_name`);
    return { ...(await databaseDigest(h.system.db)), cron_schedules: JSON.stringify(rows) };
  };
  const post = (body: unknown, key: string | null = adminKey) => h.api(key ?? undefined, 'POST', '/api/admin/schedules', body);

  it('admin only: no key 401, a user key 403, for both methods; nothing changes', async () => {
    const before = await digest();
    for (const [key, status] of [[null, 401], [userKey, 403], ['sk_settle_not-a-key', 401]] as const) {
      expect((await h.api(key ?? undefined, 'GET', '/api/admin/schedules')).status).toBe(status);
      const res = await post({ job: JOB, paused: true }, key);
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(status === 401 ? 'unauthorized' : 'forbidden');
    }
    expect(await digest()).toEqual(before);
  });

  it('bad bodies are 400 with the field named; an unknown job is 404; nothing changes', async () => {
    const before = await digest();
    const bad: [unknown, RegExp][] = [
      [{}, /^body\.job: /],
      [{ job: JOB }, /^body\.paused: /],
      [{ job: JOB, paused: 'true' }, /^body\.paused: /],
      [{ job: JOB, paused: 1 }, /^body\.paused: /],
      [{ job: '', paused: true }, /^body\.job: /],
      [{ job: 42, paused: true }, /^body\.job: /],
      [{ job: JOB, paused: true, extra: 1 }, /^body: .*extra/],
      [{ job: JOB, paused: false, reason: 'why not' }, /^body\.reason: only a pause takes a reason$/],
      [{ job: JOB, paused: true, reason: 'x'.repeat(501) }, /^body\.reason: /],
      [{ job: JOB, paused: true, reason: '   ' }, /^body\.reason: /],
      [[JOB, true], /^body: /],
      ['not json at all', /./],
    ];
    for (const [body, message] of bad) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message).toMatch(message);
    }
    for (const job of ['process-stuck-task', 'PROCESS-STUCK-TASKS', 'slow-job']) {
      const res = await post({ job, paused: true });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: 'not_found', message: `No scheduled job named "${job}"` } });
    }
    expect(await digest()).toEqual(before);
  });

  it('GET lists every job with pattern, state, next and last run', async () => {
    const res = await h.api(adminKey, 'GET', '/api/admin/schedules');
    expect(res.status).toBe(200);
    const listed = res.body.schedules.map((s: Record<string, unknown>) => [s.job, s.pattern, s.variable, s.paused, s.lastRun]);
    expect(listed).toEqual(RECOVERY_JOBS.map((job) => [job.name, job.schedule.pattern(h.system.config), job.schedule.variable, false, null]));
    expect(listed.slice(0, 3)).toEqual([
      [JOB, '*/10 * * * *', 'RECONCILE_CRON', false, null],
      ['cleanup-jobs', '*/15 * * * *', 'CLEANUP_CRON', false, null],
      ['provider-account', '*/5 * * * *', 'PROVIDER_ACCOUNT_CRON', false, null],
    ]);
    const next = new Date(res.body.schedules[0].nextRun);
    expect(next.getTime()).toBeGreaterThan(Date.now() - 1000);
    expect(next.getTime()).toBeLessThanOrEqual(Date.now() + 10 * 60_000);
    expect(next.getUTCMinutes() % 10).toBe(0);
  });

  it('pause: recorded with who and why; the cron route then answers skipped and records nothing; admin trigger still runs (trigger admin)', async () => {
    const paused = await post({ job: JOB, paused: true, reason: 'KIE incident #7' });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({
      changed: true,
      message: `${JOB} is paused on every instance: no scheduled tick runs it until it is resumed`,
      schedule: { job: JOB, paused: true, pausedBy: `${adminEmail} (admin API)`, reason: 'KIE incident #7', nextRun: null, skippedTicks: 0 },
    });
    const listed = await h.api(adminKey, 'GET', '/api/admin/schedules');
    expect(listed.body.schedules[0]).toEqual(paused.body.schedule);
    expect(listed.body.schedules[1].paused).toBe(false);

    const task = await submitVideo(h.system.tasks, userId);
    h.sim.finish(task.provider_task_id!, 'success');
    await age(h.system.db, task.id, { processingMinutes: 20 });
    const before = await digest();
    for (const method of ['GET', 'POST']) {
      const res = await h.api(SECRET, method, `/api/cron/${JOB}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, skipped: true, message: `${JOB} is paused; nothing was run` });
    }
    expect(await digest()).toEqual(before);
    const manual = await h.api(adminKey, 'POST', '/api/admin/trigger-cron', { job: JOB });
    expect(manual.status).toBe(200);
    expect(manual.body).toMatchObject({ success: true, totalFound: 1, results: { completed: 1 } });
    const row = await h.system.db.query(`SELECT trigger, status FROM cron_job_executions WHERE id = $1`, [manual.body.executionId]);
    expect(row.rows[0]).toEqual({ trigger: 'admin', status: 'completed' });
    const after = await h.api(adminKey, 'GET', '/api/admin/schedules');
    expect(after.body.schedules[0]).toMatchObject({ paused: true, lastRun: { executionId: manual.body.executionId, trigger: 'admin', manual: true, status: 'completed' } });
    // The other job is not paused: its cron route still runs.
    const cleanup = await h.api(SECRET, 'POST', '/api/cron/cleanup-jobs');
    expect(cleanup.status).toBe(200);
    expect(cleanup.body.executionId).toEqual(expect.any(String));
  });

  it('pausing again is a no-op (200, changed false, the first pause kept); resume clears it and the cron route runs again', async () => {
    const before = await digest();
    const again = await post({ job: JOB, paused: true, reason: 'a second reason' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ changed: false, message: `${JOB} was already paused; nothing changed`, schedule: { reason: 'KIE incident #7' } });
    expect(await digest()).toEqual(before);

    const resumed = await post({ job: JOB, paused: false });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({
      changed: true,
      schedule: { paused: false, pausedAt: null, pausedBy: null, reason: null, updatedBy: `${adminEmail} (admin API)`, nextRun: expect.any(String) },
    });
    expect(resumed.body.message).toBe(`${JOB} is resumed: the next tick (${resumed.body.schedule.nextRun}) runs it`);
    const run = await h.api(SECRET, 'POST', `/api/cron/${JOB}`);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ success: true, executionId: expect.any(String) });
    expect(run.body.skipped).toBeUndefined();
  });
});
