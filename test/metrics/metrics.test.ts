import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/index.js';
import { countProviderErrors, createMetrics, LATENCY_BUCKETS } from '../../src/metrics/index.js';
import { aroundRegistry, ProviderError, type Provider } from '../../src/providers/index.js';
import { startWorker } from '../../src/recovery/index.js';
import { createUser, type CreatedUser } from '../../src/users/index.js';
import { createTestDatabase } from '../helpers/db.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { parsePrometheusText, samplesOf, valueOf, type Family } from './promText.js';

const CRON_SECRET = 'cron-secret-for-metrics-tests';
const VIDEO = { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'waves on a pier' } };

async function scrape(h: Harness): Promise<Map<string, Family>> {
  const res = await fetch(`${h.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

describe('/metrics after an end-to-end scenario', () => {
  let h: Harness;
  let user: CreatedUser;
  let admin: CreatedUser;

  beforeAll(async () => {
    h = await startHarness({ env: { CRON_SECRET } });
    user = await h.user(10_000);
    admin = await h.user(0, 'admin');
  });
  afterAll(() => h?.close());

  const row = async (taskId: string) =>
    (await h.system.db.query<{ status: string; settled_by: string | null; provider_task_id: string | null }>(
      'SELECT status, settled_by, provider_task_id FROM tasks WHERE id = $1',
      [taskId],
    )).rows[0]!;
  const settled = (taskId: string) =>
    waitFor(`task ${taskId} to settle`, async () => {
      const r = await row(taskId);
      return ['completed', 'failed', 'canceled'].includes(r.status) ? r : undefined;
    });
  const processing = (taskId: string) =>
    waitFor(`task ${taskId} to be processing`, async () => {
      const r = await row(taskId);
      return r.status === 'processing' ? r : undefined;
    });
  const submit = async () => {
    const res = await h.api(user.apiKey, 'POST', '/api/v1/tasks', VIDEO);
    expect(res.status).toBe(202);
    return res.body.taskId as string;
  };
  /** Finished at the provider, its callback lost, nobody asked: processing in the database. */
  const finishedUnnoticed = async () => {
    h.sim.setFaults({ hangRate: 1, lostCallbackRate: 1 });
    const id = await submit();
    h.sim.finish((await processing(id)).provider_task_id!, 'success');
    h.sim.setFaults({ hangRate: 0, lostCallbackRate: 0 });
    return id;
  };
  const backdate = (taskId: string, minutes: number) =>
    h.system.db.query(
      `UPDATE tasks SET processing_started_at = processing_started_at - make_interval(mins => $2), updated_at = updated_at - make_interval(mins => $2) WHERE id = $1`,
      [taskId, minutes],
    );

  it('settles tasks through every path, then reports exactly what the database holds', async () => {
    const expected: Record<string, string> = {};

    // webhook: the simulator's callback completes one task and fails another
    const viaWebhook = await submit();
    expected[viaWebhook] = 'webhook/completed';
    expect(await settled(viaWebhook)).toMatchObject({ status: 'completed', settled_by: 'webhook' });
    h.sim.setFaults({ failRate: 1 });
    const failedViaWebhook = await submit();
    expected[failedViaWebhook] = 'webhook/failed';
    expect(await settled(failedViaWebhook)).toMatchObject({ status: 'failed', settled_by: 'webhook' });
    h.sim.setFaults({ failRate: 0 });

    // poll: the owner's status read finds the finished task
    const viaPoll = await finishedUnnoticed();
    expected[viaPoll] = 'poll/completed';
    await waitFor('the status poll to complete the task', async () => (await h.api(user.apiKey, 'GET', `/api/v1/tasks/${viaPoll}`)).body.status === 'completed');

    // worker: a lost callback, picked up by the continuous worker
    h.sim.setFaults({ lostCallbackRate: 1 });
    const worker = startWorker(h.system.tasks, { concurrency: 2 });
    try {
      const viaWorker = await submit();
      expected[viaWorker] = 'worker/completed';
      expect(await settled(viaWorker)).toMatchObject({ status: 'completed', settled_by: 'worker' });
    } finally {
      await worker.stop();
      h.sim.setFaults({ lostCallbackRate: 0 });
    }

    // reconciler: stuck for 25 minutes, found and completed by a process-stuck-tasks run
    const viaReconciler = await finishedUnnoticed();
    expected[viaReconciler] = 'reconciler/completed';
    await backdate(viaReconciler, 25);
    expect((await h.api(CRON_SECRET, 'POST', '/api/cron/process-stuck-tasks')).body).toMatchObject({ success: true, results: { completed: 1 } });

    // admin: an operator's retry
    const viaAdmin = await finishedUnnoticed();
    expected[viaAdmin] = 'admin/completed';
    expect((await h.api(admin.apiKey, 'POST', `/api/admin/tasks/${viaAdmin}/retry`, {})).status).toBe(200);

    // provider errors: the provider answers 500/455 to a status poll; then the owner cancels
    h.sim.setFaults({ hangRate: 1 });
    const erroring = await submit();
    await processing(erroring);
    h.sim.setFaults({ hangRate: 0, transientErrorRate: 1 });
    await waitFor('a provider error on the task', async () => {
      await h.api(user.apiKey, 'GET', `/api/v1/tasks/${erroring}`);
      const r = await h.system.db.query<{ n: number }>('SELECT provider_errors AS n FROM tasks WHERE id = $1', [erroring]);
      return r.rows[0]!.n > 0;
    }, 15_000, 2_100);
    h.sim.setFaults({ transientErrorRate: 0 });
    expect((await h.api(user.apiKey, 'POST', `/api/v1/tasks/${erroring}/cancel`)).status).toBe(200);
    expected[erroring] = 'owner/canceled';

    // cleanup: processing past the model's 20-minute timeout, failed and refunded by cleanup-jobs
    h.sim.setFaults({ hangRate: 1 });
    const viaCleanup = await submit();
    await processing(viaCleanup);
    h.sim.setFaults({ hangRate: 0 });
    await backdate(viaCleanup, 30);
    expect((await h.api(CRON_SECRET, 'POST', '/api/cron/cleanup-jobs')).body).toMatchObject({ success: true, result: { cleanedUp: 1 } });
    expected[viaCleanup] = 'cleanup/failed';

    // submit: the provider refuses the task at creation for good (KIE 505: the feature is disabled)
    h.sim.setFaults({ accountError: 505 });
    const rejected = await h.api(user.apiKey, 'POST', '/api/v1/tasks', VIDEO);
    h.sim.setFaults({ accountError: null });
    expect(rejected.status).toBe(422);
    expected[rejected.body.taskId] = 'submit/failed';

    // still live: one processing task holding credits
    h.sim.setFaults({ hangRate: 1 });
    const live = await submit();
    await processing(live);
    h.sim.setFaults({ hangRate: 0 });

    // outbox: one dead letter and two waiting
    for (const status of ['dead', 'pending', 'pending']) {
      const id = randomUUID();
      await h.system.db.query(
        `INSERT INTO notification_outbox (id, channel, kind, payload, dedupe_key, status, attempts, max_attempts) VALUES ($1, 'email', 'task_ready', '{}', $2, $3, 0, 8)`,
        [id, `metrics-test:${id}`, status],
      );
    }

    // Every task settled the way the scenario meant it to.
    for (const [taskId, what] of Object.entries(expected)) {
      const r = await row(taskId);
      expect(`${r.settled_by}/${r.status}`, taskId).toBe(what);
    }

    const m = await scrape(h);
    const db = h.system.db;

    // tasks by status
    const byStatus = await db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM tasks GROUP BY status');
    for (const status of ['pending', 'processing', 'completed', 'failed', 'canceled']) {
      expect(valueOf(m, 'settle_tasks', { status }), status).toBe(byStatus.rows.find((r) => r.status === status)?.n ?? 0);
    }
    expect(valueOf(m, 'settle_tasks', { status: 'processing' })).toBe(1);

    // settlements by path: equal to the database, series for series, and to what the scenario did
    const byPath = await db.query<{ path: string; status: string; n: number }>(
      `SELECT settled_by AS path, status, count(*)::int AS n FROM tasks WHERE status IN ('completed', 'failed', 'canceled') GROUP BY 1, 2`,
    );
    const reported = samplesOf(m, 'settle_task_settlements_total').map((s) => ({ path: s.labels.path, status: s.labels.status, n: s.value }));
    const sort = (rows: { path?: string; status?: string; n: number }[]) => [...rows].sort((a, b) => `${a.path}/${a.status}`.localeCompare(`${b.path}/${b.status}`));
    expect(sort(reported)).toEqual(sort(byPath.rows));
    const scenario = Object.values(expected).reduce<Record<string, number>>((acc, k) => ({ ...acc, [k]: (acc[k] ?? 0) + 1 }), {});
    expect(Object.fromEntries(reported.map((r) => [`${r.path}/${r.status}`, r.n]))).toEqual(scenario);
    expect(new Set(reported.map((r) => r.path))).toEqual(new Set(['webhook', 'poll', 'worker', 'reconciler', 'admin', 'owner', 'cleanup', 'submit']));

    // settlement latency: one observation per completed task, per path; buckets as the database says
    const latency = await db.query<{ path: string; n: number; under: number }>(
      `SELECT settled_by AS path, count(*)::int AS n,
              count(*) FILTER (WHERE extract(epoch FROM completed_at - provider_completed_at) <= 3600)::int AS under
         FROM tasks WHERE status = 'completed' AND provider_completed_at IS NOT NULL GROUP BY 1`,
    );
    expect(latency.rows.length).toBe(5);
    for (const r of latency.rows) {
      expect(valueOf(m, 'settle_settlement_latency_seconds_count', { path: r.path }), r.path).toBe(r.n);
      expect(valueOf(m, 'settle_settlement_latency_seconds_bucket', { path: r.path, le: '+Inf' })).toBe(r.n);
      expect(valueOf(m, 'settle_settlement_latency_seconds_bucket', { path: r.path, le: String(LATENCY_BUCKETS.at(-1)) })).toBe(r.under);
    }

    // frozen credits and open holds
    const credits = await db.query<{ frozen: number; holds: number }>(
      `SELECT (SELECT sum(frozen_balance) FROM user_credits)::int AS frozen, (SELECT count(*) FROM credit_holds WHERE status = 'open')::int AS holds`,
    );
    expect(valueOf(m, 'settle_credits_frozen')).toBe(credits.rows[0]!.frozen);
    expect(valueOf(m, 'settle_credits_frozen')).toBe(30);
    expect(valueOf(m, 'settle_credit_holds_open')).toBe(credits.rows[0]!.holds);

    // provider errors recorded on tasks
    const errors = await db.query<{ n: number }>('SELECT sum(provider_errors)::int AS n FROM tasks');
    expect(valueOf(m, 'settle_task_provider_errors_total')).toBe(errors.rows[0]!.n);
    expect(errors.rows[0]!.n).toBeGreaterThan(0);

    // recovery runs: counts, durations and summed results
    const runs = await db.query<{ job: string; status: string; n: number }>('SELECT job_name AS job, status, count(*)::int AS n FROM cron_job_executions GROUP BY 1, 2');
    expect(runs.rows.length).toBe(2);
    for (const r of runs.rows) {
      expect(valueOf(m, 'settle_cron_runs_total', { job: r.job, status: r.status })).toBe(r.n);
      expect(valueOf(m, 'settle_cron_run_duration_seconds_count', { job: r.job })).toBe(r.n);
    }
    expect(valueOf(m, 'settle_cron_run_tasks_total', { job: 'process-stuck-tasks', result: 'completed' })).toBe(1);
    expect(valueOf(m, 'settle_cron_run_tasks_total', { job: 'cleanup-jobs', result: 'cleaned_up' })).toBe(1);
    expect(valueOf(m, 'settle_cron_run_tasks_total', { job: 'cleanup-jobs', result: 'credits_refunded' })).toBe(30);
    expect(valueOf(m, 'settle_cron_last_run_success', { job: 'cleanup-jobs' })).toBe(1);

    // outbox backlog and dead letters
    expect(valueOf(m, 'settle_outbox_backlog')).toBe(2);
    expect(valueOf(m, 'settle_outbox_dead')).toBe(1);
    expect(valueOf(m, 'settle_outbox_notifications', { channel: 'email', status: 'pending' })).toBe(2);
    expect(valueOf(m, 'settle_metrics_database_up')).toBe(1);
  });
});

describe('metrics building blocks', () => {
  const logger = createLogger('silent');

  it('counts provider errors by provider, operation and code, and only ProviderErrors', async () => {
    const failing: Provider = {
      name: 'fake-provider',
      submit: async () => Promise.reject(new ProviderError('transient', '429', 'slow down')),
      status: async () => Promise.reject(new ProviderError('transient', 'network', 'unreachable')),
      download: async () => Promise.reject(new Error('a bug, not a provider error')),
      parseCallback: () => {
        throw new ProviderError('permanent', '400', 'not a callback');
      },
    };
    const registry = aroundRegistry({ get: () => failing }, countProviderErrors);
    const provider = registry.get('fake-provider');
    expect(registry.get('fake-provider')).toBe(provider);
    await expect(provider.submit({ taskId: 't', model: 'm', input: {} })).rejects.toThrow('slow down');
    await expect(provider.submit({ taskId: 't', model: 'm', input: {} })).rejects.toThrow('slow down');
    await expect(provider.status('p')).rejects.toThrow('unreachable');
    await expect(provider.download('u')).rejects.toThrow('a bug');
    expect(() => provider.parseCallback({}, {})).toThrow('not a callback');

    const db = { query: async () => ({ rows: [], rowCount: 0 }), exec: async () => undefined };
    const m = parsePrometheusText(await createMetrics({ db, logger, processMetrics: false }).render());
    const count = (operation: string, code: string) => valueOf(m, 'settle_provider_errors_total', { provider: 'fake-provider', operation, code });
    expect(count('submit', '429')).toBe(2);
    expect(count('status', 'network')).toBe(1);
    expect(samplesOf(m, 'settle_provider_errors_total').filter((s) => s.labels.provider === 'fake-provider')).toHaveLength(2);
  });

  it('puts a latency exactly on a bucket bound into that bucket (le), and counts only completed tasks', async () => {
    const database = await createTestDatabase();
    try {
      const { userId } = await createUser(database.db, { email: 'buckets@example.com' });
      const latencies = [0, 0.05, 0.050001, 1, 3600, 3601];
      for (const [i, seconds] of latencies.entries()) {
        await database.db.query(
          `INSERT INTO tasks (id, user_id, type, model, provider, input, status, price, max_attempts, timeout_ms, settled_by, provider_task_id,
                              provider_completed_at, completed_at, provider_errors)
           VALUES ($1, $2, 'video', 'm', 'kie', '{}', 'completed', 30, 2, 60000, 'webhook', $3,
                   timestamptz '2026-01-01 00:00:00+00', timestamptz '2026-01-01 00:00:00+00' + make_interval(secs => $4), $5)`,
          [randomUUID(), userId, `p${i}`, seconds, i],
        );
      }
      await database.db.query(
        `INSERT INTO tasks (id, user_id, type, model, provider, input, status, price, max_attempts, timeout_ms, settled_by, provider_completed_at, completed_at)
         VALUES ($1, $2, 'video', 'm', 'kie', '{}', 'failed', 30, 2, 60000, 'cleanup', now(), now())`,
        [randomUUID(), userId],
      );
      const m = parsePrometheusText(await createMetrics({ db: database.db, logger, processMetrics: false }).render());
      const bucket = (le: string) => valueOf(m, 'settle_settlement_latency_seconds_bucket', { path: 'webhook', le });
      expect([bucket('0.05'), bucket('0.1'), bucket('1'), bucket('3600'), bucket('+Inf')]).toEqual([2, 3, 4, 5, 6]);
      expect(valueOf(m, 'settle_settlement_latency_seconds_sum', { path: 'webhook' })).toBeCloseTo(latencies.reduce((a, b) => a + b, 0), 4);
      expect(samplesOf(m, 'settle_settlement_latency_seconds_count').map((s) => s.labels.path)).toEqual(['webhook']);
      expect(valueOf(m, 'settle_task_settlements_total', { path: 'cleanup', status: 'failed' })).toBe(1);
      expect(valueOf(m, 'settle_task_provider_errors_total')).toBe(15);
    } finally {
      await database.drop();
    }
  });

  it('reports the database as down (and no stale figures) when it cannot be read', async () => {
    const db = { query: async () => Promise.reject(new Error('connection refused')), exec: async () => undefined };
    const text = await createMetrics({ db, logger, processMetrics: false }).render();
    const m = parsePrometheusText(text);
    expect(valueOf(m, 'settle_metrics_database_up')).toBe(0);
    expect(samplesOf(m, 'settle_tasks')).toEqual([]);
  });
});
