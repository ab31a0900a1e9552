import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { charged, createCallsFor, expectAuditClean, IMAGE, journal, providerTasksOf, settled, startWorld, taskRow, timed } from './world.js';

const REQUEST_TIMEOUT_MS = 2000;
const SUBMIT_WAIT_MS = 1000;

describe('a createTask whose answer is lost', () => {
  const DOUBT_MS = 20_000;
  let h: Harness;
  beforeAll(async () => {
    h = await startWorld({
      worker: true,
      env: {
        PROVIDER_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        SUBMIT_WAIT_MS: String(SUBMIT_WAIT_MS),
        DISPATCH_DOUBT_MS: String(DOUBT_MS),
      },
    });
    // One ordinary task first, so the timed submissions below do not also pay for a cold start (first statements,
    // first connections) on a busy machine.
    const { apiKey } = await h.user(100);
    expect((await settled(h, (await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE)).body.taskId)).status).toBe('completed');
  });
  afterAll(() => h.close());

  // The provider task exists from the moment the request arrived; its callback comes at 5-6 s, after our request has
  // timed out (2 s), while the worker runs and could send the task again.
  it.each([
    ['never answered', { createHangRate: 1, createDelayMs: 0, durationMs: [5000, 5000] as [number, number] }],
    ['answered after the request timed out', { createHangRate: 0, createDelayMs: 4000, durationMs: [6000, 6000] as [number, number] }],
  ])('%s: submit answers 202 pending in time, and the callback adopts the one provider task, charged once', async (_case, faults) => {
    const { apiKey } = await h.user(100);
    h.sim.setFaults(faults);
    const { value: submitted, ms } = await timed(() => h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE));
    expect(ms).toBeLessThan(SUBMIT_WAIT_MS + 500);
    expect(submitted.status).toBe(202);
    expect(submitted.body.status).toBe('pending');
    const taskId: string = submitted.body.taskId;

    const row = await settled(h, taskId, 30_000);
    expect(row.status).toBe('completed');
    expect(createCallsFor(h, taskId)).toHaveLength(1);
    expect(providerTasksOf(h, taskId)).toEqual([row.provider_task_id]);
    expect(await journal(h.system.db, taskId)).toEqual(charged());
    await expectAuditClean(h);
  });
});

describe('a task in doubt', () => {
  const DOUBT_MS = 20_000;
  let h: Harness;
  beforeAll(async () => {
    // The provider takes each task and never answers or calls back: only the doubt window ends the wait.
    h = await startWorld({
      worker: true,
      sim: { createHangRate: 1, hangRate: 1 },
      env: {
        PROVIDER_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        SUBMIT_WAIT_MS: String(SUBMIT_WAIT_MS),
        DISPATCH_DOUBT_MS: String(DOUBT_MS),
      },
    });
  });
  afterAll(() => h.close());

  it('is not sent to the provider again until DISPATCH_DOUBT_MS has passed', { timeout: 90_000 }, async () => {
    const { apiKey } = await h.user(100);
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    const taskId: string = submitted.body.taskId;
    const [first, second] = await waitFor('a second createTask for the task', async () => {
      const calls = createCallsFor(h, taskId);
      return calls.length >= 2 && calls;
    }, DOUBT_MS + 30_000);
    // The doubt runs from just before the first call left; a second of room for a busy machine.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(DOUBT_MS - 1000);
    expect((await taskRow(h, taskId)).status).toBe('pending');
  });
});
