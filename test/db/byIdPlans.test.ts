import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statementText, type Queryable } from '../../src/db/index.js';
import { captureHolds, releaseHold } from '../../src/ledger/index.js';
import { markCompletedMany } from '../../src/tasks/sql/markCompletedMany.js';
import { adoptProviderTask } from '../../src/tasks/sql/adoptProviderTask.js';
import { claimTask } from '../../src/tasks/sql/claimTask.js';
import { markLateResult } from '../../src/tasks/sql/markLateResult.js';
import { markTaskRefunded } from '../../src/tasks/sql/markTaskRefunded.js';
import { claimPendingTask } from '../../src/tasks/sql/pendingTasks.js';
import { markAttemptFailed, markSent } from '../../src/notify/outbox/recordDelivery.js';
import { resendNotification } from '../../src/notify/index.js';
import { markCanceled, markDispatchStarted, markFailed, recordDispatches, recordIngestKeys, renewLease, rescheduleTask } from '../../src/tasks/sql/fencedUpdates.js';
import { claimStuckTasks } from '../../src/tasks/sql/stuckTasks.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createUser } from '../ledger/fixtures.js';

/** Indexes keyed or filtered by a state: each holds every row in that state, and its dead entries until vacuum. */
const STATE_INDEXES =
  /Seq Scan|tasks_(status_created|active|user_status|due|deadline|late_result|prunable)_idx|credit_holds_open_idx|notification_outbox_(due|status)_idx/;

interface Sent {
  text: string;
  params: unknown[];
}

/** The statement a grouped write sends, captured rather than copied, to be explained with the same text. */
async function sentBy(write: (db: Queryable) => Promise<unknown>): Promise<Sent> {
  let sent: Sent | undefined;
  const capture: Queryable = {
    query: async (statement, params) => ((sent = { text: statementText(statement), params: params ?? [] }), { rows: [], rowCount: 0 }),
    exec: async () => {},
  };
  await write(capture);
  return sent!;
}

/** A parameter as an SQL literal for EXECUTE (which takes no bound parameters); each statement casts its own. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const element = (v: unknown) => (v === null ? 'NULL' : `"${String(v instanceof Date ? v.toISOString() : v).replace(/[\\"]/g, '\\$&')}"`);
  const text = Array.isArray(value) ? `{${value.map(element).join(',')}}` : value instanceof Date ? value.toISOString() : String(value);
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * A burst the statistics have not seen: every task, hold and outbox entry was finished when they were taken, then
 * 2,500 tasks went back to pending and 2,500 to processing, each with its hold open, and the outbox's entries to
 * pending or dead, before autoanalyze looked again (as after an outage, a receiver down for hours, or a burst of
 * submissions whose acceptances leave dead entries in the state indexes until vacuum).
 */
describe('writes that name their rows by id find them by id, whatever the statistics say about the state they test', () => {
  let t: TestDatabase;
  const pending: string[] = [];
  const processing: string[] = [];
  const entries: string[] = [];
  beforeAll(async () => {
    t = await createTestDatabase();
    const userId = await createUser(t.db);
    await t.db.query(
      `INSERT INTO tasks (id, user_id, type, model, provider, input, status, price, max_attempts, timeout_ms, lease_owner, created_at)
       SELECT gen_random_uuid(), $1, 'video', 'sora-2-text-to-video', 'kie', '{}', 'completed', 30, 2, 1200000, 'lease', now() - interval '20 minutes'
         FROM generate_series(1, 5000)`,
      [userId],
    );
    await t.db.query(
      `INSERT INTO credit_holds (id, task_id, user_id, amount, status, expires_at, settled_at)
       SELECT gen_random_uuid(), id, user_id, price, 'captured', now() + interval '1 hour', now() FROM tasks`,
    );
    await t.db.query(
      `INSERT INTO notification_outbox (id, channel, kind, payload, dedupe_key, max_attempts, status, lease_owner)
       SELECT gen_random_uuid(), 'email', 'task.completed', '{}', 'd' || i, 3, 'sent', 'lease' FROM generate_series(1, 5000) i`,
    );
    await t.db.exec('ANALYZE tasks; ANALYZE credit_holds; ANALYZE notification_outbox');
    await t.db.query(`UPDATE notification_outbox SET status = CASE WHEN random() < 0.5 THEN 'pending' ELSE 'dead' END`);
    entries.push(...(await t.db.query<{ id: string }>(`SELECT id FROM notification_outbox ORDER BY random() LIMIT 1`)).rows.map((r) => r.id));
    await t.db.query(
      `UPDATE tasks SET (status, provider_task_id, processing_started_at) =
         (SELECT 'processing', 'p-' || id, now() - interval '20 minutes' WHERE random() < 0.5 UNION ALL SELECT 'pending', NULL, NULL LIMIT 1)`,
    );
    await t.db.query(`UPDATE credit_holds SET status = 'open', settled_at = NULL`);
    const { rows } = await t.db.query<{ id: string; status: string }>(`SELECT id, status FROM tasks ORDER BY random() LIMIT 200`);
    for (const r of rows) (r.status === 'pending' ? pending : processing).push(r.id);
  });
  afterAll(() => t.drop());

  /** The plan the prepared statement settles on after its first executions, and the one made for these values. */
  async function plansOf({ text, params }: Sent): Promise<string[]> {
    const args = params.map(literal).join(', ');
    return t.db.transaction(async (tx) => {
      await tx.query(`PREPARE grouped_write AS ${text}`);
      const plans: string[] = [];
      for (const mode of ['force_generic_plan', 'force_custom_plan']) {
        await tx.query(`SET LOCAL plan_cache_mode = ${mode}`);
        const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE grouped_write(${args})`);
        plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
      }
      await tx.query('DEALLOCATE grouped_write');
      return plans;
    });
  }

  const group = (ids: string[]) => ids.slice(0, 13);
  const writes: [string, () => Promise<Sent>, RegExp][] = [
    ['claimStuckTasks', () => sentBy((db) => claimStuckTasks(db, group(processing), 'lease', 120_000, 600_000)), /tasks_pkey/],
    [
      'recordDispatches (a group of acceptances)',
      () => sentBy((db) => recordDispatches(db, group(pending).map((taskId) => ({ taskId, lease: 'lease', providerTaskId: `new-${taskId}`, firstCheckMs: 2000 })))),
      /tasks_pkey/,
    ],
    [
      'recordIngestKeys',
      () => sentBy((db) => recordIngestKeys(db, group(processing).map((taskId) => ({ taskId, lease: 'lease', leaseMs: 60_000, key: `k/${taskId}`, first: true })))),
      /tasks_pkey/,
    ],
    [
      'markCompletedMany (a batch of completions)',
      () => sentBy((db) => markCompletedMany(db, group(processing).map((taskId) => ({ taskId, lease: 'lease', assetKeys: ['a'], providerCompletedAt: new Date(), path: 'webhook' as const })))),
      /tasks_pkey/,
    ],
    ['captureHolds', () => sentBy((db) => captureHolds(db, group(processing))), /credit_holds_task_id_key/],
    ['releaseHold', () => sentBy((db) => releaseHold(db, pending[0]!)), /credit_holds_task_id_key/],
    ['renewLease', () => sentBy((db) => renewLease(db, processing[0]!, 'lease', 60_000)), /tasks_pkey/],
    ['markDispatchStarted', () => sentBy((db) => markDispatchStarted(db, pending[0]!, 'lease', 60_000, 600_000)), /tasks_pkey/],
    ['rescheduleTask', () => sentBy((db) => rescheduleTask(db, processing[0]!, 'lease', { delayMs: 2000 })), /tasks_pkey/],
    ['markFailed', () => sentBy((db) => markFailed(db, processing[0]!, 'lease', { code: 'timeout', message: 'late' }, 'worker')), /tasks_pkey/],
    ['markCanceled', () => sentBy((db) => markCanceled(db, processing[0]!, 'owner')), /tasks_pkey/],
    ['claimTask', () => sentBy((db) => claimTask(db, processing[0]!, 'lease', 60_000)), /tasks_pkey/],
    ['adoptProviderTask', () => sentBy((db) => adoptProviderTask(db, pending[0]!, 'p-new', 2000)), /tasks_pkey/],
    ['claimPendingTask', () => sentBy((db) => claimPendingTask(db, pending[0]!, 'lease', 60_000, 600_000)), /tasks_pkey/],
    ['markLateResult', () => sentBy((db) => markLateResult(db, processing[0]!, ['a'])), /tasks_pkey/],
    ['markTaskRefunded', () => sentBy((db) => markTaskRefunded(db, processing[0]!, 'blurry')), /tasks_pkey/],
    ['markSent', () => sentBy((db) => markSent(db, entries[0]!, 'lease')), /notification_outbox_pkey/],
    ['markAttemptFailed', () => sentBy((db) => markAttemptFailed(db, entries[0]!, 'lease', { error: 'down', delayMs: 1000, giveUp: false })), /notification_outbox_pkey/],
    ['resendNotification', () => sentBy((db) => resendNotification(db, entries[0]!)), /notification_outbox_pkey/],
  ];

  for (const [name, sent, byId] of writes) {
    it(`${name}: by its unique index, not by walking an index of the state it tests`, async () => {
      for (const plan of await plansOf(await sent())) {
        const scans = plan.split('\n').filter((line) => /Scan/.test(line)).join('\n');
        expect(scans).not.toMatch(STATE_INDEXES);
        expect(scans).toMatch(byId);
      }
    });
  }
});
