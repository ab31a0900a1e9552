import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceTask } from '../../src/tasks/index.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { age, submitVideo, taskRow } from '../recovery/helpers.js';
import { startRecoverySystem, type RecoverySystem } from '../recovery/system.js';

describe('a retry that finds no dispatch slot', () => {
  let r: RecoverySystem;
  beforeAll(async () => {
    // One new provider task per ten minutes: the first dispatch takes the only slot, so the retry finds none.
    r = await startRecoverySystem({ sim: { durationMs: [600_000, 600_000] }, env: { PROVIDER_RATE_LIMIT: '1', PROVIDER_RATE_WINDOW_MS: '600000' } });
  });
  afterAll(() => r.close());

  it('waits pending with a fresh pending deadline, rather than failing at once as a dispatch timeout', async () => {
    const deps = r.system.tasks;
    const submitted = await submitVideo(deps, r.userId);
    if (submitted.status === 'pending') expect(await advanceTask(deps, submitted.id, 'worker')).toBe('dispatched');
    expect((await taskRow(r.system.db, submitted.id)).status).toBe('processing');

    // The provider is still running it past its processing deadline: the task is resubmitted, but no slot is free.
    await age(r.system.db, submitted.id, { pastDeadline: true });
    expect(await advanceTask(deps, submitted.id, 'worker')).toBe('still_pending');
    const waiting = await taskRow(r.system.db, submitted.id);
    expect(waiting.status).toBe('pending');
    expect(waiting.deadline_at!.getTime()).toBeGreaterThan(Date.now() + deps.pendingDeadlineMs / 2);

    // Its next turn still finds no slot: it keeps waiting, its credits still held, not failed.
    expect(await advanceTask(deps, submitted.id, 'worker')).toBe('still_pending');
    const still = await taskRow(r.system.db, submitted.id);
    expect(still).toMatchObject({ status: 'pending', error_code: null });
    await expectAuditClean(r.system.db);
  }, 30_000);
});
