import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceTask } from '../../src/tasks/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean, journal } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';

const IMAGE = { type: 'image', model: 'google/nano-banana', input: { prompt: 'a lighthouse' } };
const PRICE = 4;

describe('concurrency against one ledger', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('50 concurrent submissions from a user who can afford exactly 10: 10 accepted, 40 refused with 402', async () => {
    const { apiKey } = await h.user(10 * PRICE);
    // Tasks must still hold their credits when the balance is read, however slowly this machine runs.
    h.sim.setFaults({ hangRate: 1 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE)));
    h.sim.setFaults({ hangRate: 0 });
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(10);
    expect(statuses.filter((s) => s === 402)).toHaveLength(40);
    expect(answers.find((a) => a.status === 402)!.body.error.code).toBe('insufficient_credits');
    expect((await h.api(apiKey, 'GET', '/api/v1/credits')).body).toEqual({ balance: 10 * PRICE, frozen: 10 * PRICE, available: 0 });
    await expectAuditClean(h.system.db);
  });

  it('20 concurrent advances of one finished task capture once and write one charge', async () => {
    const { apiKey } = await h.user(100);
    const res = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    const taskId: string = res.body.taskId;
    const { rows } = await h.system.db.query<{ provider_task_id: string }>('SELECT provider_task_id FROM tasks WHERE id = $1', [taskId]);
    h.sim.finish(rows[0]!.provider_task_id, 'success');
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => advanceTask(h.system.tasks, taskId, 'worker')));
    const settled = await waitFor('the task to complete', async () => {
      const row = await h.system.db.query<{ status: string }>('SELECT status FROM tasks WHERE id = $1', [taskId]);
      if (row.rows[0]!.status === 'completed') return true;
      return (await advanceTask(h.system.tasks, taskId, 'worker')) === 'completed';
    });
    expect(settled).toBe(true);
    expect(outcomes.filter((o) => o === 'completed').length).toBeLessThanOrEqual(1);
    expect(await journal(h.system.db, taskId)).toEqual([
      { type: 'freeze', amount: PRICE },
      { type: 'charge', amount: PRICE },
    ]);
    const holds = await h.system.db.query('SELECT status FROM credit_holds WHERE task_id = $1', [taskId]);
    expect(holds.rows).toEqual([{ status: 'captured' }]);
    await expectAuditClean(h.system.db);
  });
});
