import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { captureHold, grantCredits, releaseHold } from '../../src/ledger/index.js';
import { audit, formatAuditReport, type AuditReport } from '../../src/tasks/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { HOUR, createFundedUser, createUser, insertTask, setTaskStatus, submitTask, type TaskStatus } from './fixtures.js';

/** A user with one task in every state the lifecycle can leave it in, each with the hold that state implies. */
type TasksByState = Record<TaskStatus | 'lateResult', string>;

async function userWithEveryTaskState(db: Db): Promise<{ userId: string; tasks: TasksByState }> {
  const userId = await createFundedUser(db, 1000);
  const settle = async (status: TaskStatus, settleHold?: typeof captureHold) => {
    const taskId = await submitTask(db, userId, 10);
    await db.transaction(async (tx) => {
      if (settleHold) await settleHold(tx, taskId);
      await setTaskStatus(tx, taskId, status);
    });
    return taskId;
  };
  const tasks = {
    pending: await settle('pending'),
    processing: await settle('processing'),
    completed: await settle('completed', captureHold),
    failed: await settle('failed', releaseHold),
    canceled: await settle('canceled', releaseHold),
    lateResult: await settle('failed', releaseHold),
  };
  await db.query('UPDATE tasks SET late_result = true WHERE id = $1', [tasks.lateResult]);
  return { userId, tasks };
}

const invariantsOf = (report: AuditReport, userId: string) =>
  report.violations.filter((v) => v.userId === userId).map((v) => v.invariant).sort();

describe('audit on a clean ledger', () => {
  it('passes and counts every user and task', async () => {
    const t = await createTestDatabase();
    try {
      await userWithEveryTaskState(t.db);
      await userWithEveryTaskState(t.db);
      await createUser(t.db);
      const report = await audit(t.db);
      expect(report).toEqual({ ok: true, checkedAccounts: 2, checkedTasks: 12, violations: [] }); // the third user has no account yet
      expect(formatAuditReport(report)).toBe('Audit passed: 2 accounts, 12 tasks checked');
    } finally {
      await t.drop();
    }
  });
});

describe('audit on a corrupted ledger', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  // The database is shared, so each test looks only at the violations of the user it corrupted.
  it('frozen_equals_open_holds: frozen_balance changed behind the ledger', async () => {
    const { userId } = await userWithEveryTaskState(t.db);
    await t.db.query('UPDATE user_credits SET frozen_balance = frozen_balance - 5 WHERE user_id = $1', [userId]);
    const report = await audit(t.db);
    expect(report.ok).toBe(false);
    expect(invariantsOf(report, userId)).toEqual(['frozen_equals_journal', 'frozen_equals_open_holds']);
    expect(report.violations.find((v) => v.invariant === 'frozen_equals_open_holds')).toEqual({
      invariant: 'frozen_equals_open_holds',
      userId,
      detail: 'frozen_balance is 15 but open holds sum to 20',
    });
  });

  it('frozen_equals_open_holds: an open hold deleted', async () => {
    const { userId, tasks } = await userWithEveryTaskState(t.db);
    await t.db.query('DELETE FROM credit_holds WHERE task_id = $1', [tasks.pending]);
    expect(invariantsOf(await audit(t.db), userId)).toEqual(['frozen_equals_open_holds', 'hold_matches_task']);
  });

  it('balance_equals_journal: balance changed behind the ledger', async () => {
    const { userId } = await userWithEveryTaskState(t.db);
    await t.db.query('UPDATE user_credits SET balance = balance + 5 WHERE user_id = $1', [userId]);
    const report = await audit(t.db);
    expect(invariantsOf(report, userId)).toEqual(['balance_equals_journal']);
    expect(report.violations.find((v) => v.userId === userId)?.detail).toBe(
      'balance is 995 but grants - charges + refunds - debits = 990',
    );
  });

  it('balance_equals_journal and refund_matches_charge: a refund of no charge, journaled without crediting the balance', async () => {
    const { userId } = await userWithEveryTaskState(t.db);
    await t.db.query(`INSERT INTO credit_transactions (user_id, type, amount, reference_id) VALUES ($1, 'refund', 10, $2)`, [
      userId,
      `refund-${userId}`,
    ]);
    expect(invariantsOf(await audit(t.db), userId)).toEqual(['balance_equals_journal', 'refund_matches_charge']);
  });

  it('refund_matches_charge and hold_matches_task: a refund larger than its charge, on a task not marked refunded', async () => {
    const { userId, tasks } = await userWithEveryTaskState(t.db);
    await t.db.query(`INSERT INTO credit_transactions (user_id, type, amount, reference_id) VALUES ($1, 'refund', 999, $2)`, [userId, tasks.completed]);
    await t.db.query('UPDATE user_credits SET balance = balance + 999 WHERE user_id = $1', [userId]);
    const report = await audit(t.db);
    expect(invariantsOf(report, userId)).toEqual(['hold_matches_task', 'refund_matches_charge']);
    expect(report.violations.find((v) => v.userId === userId && v.invariant === 'hold_matches_task')!.detail).toBe(
      "task's charge was refunded but the task is not marked refunded",
    );
  });

  it('hold_matches_task: a completed task marked refunded without a refund', async () => {
    const { userId, tasks } = await userWithEveryTaskState(t.db);
    await t.db.query(`UPDATE tasks SET refunded_at = now() WHERE id = $1`, [tasks.completed]);
    const report = await audit(t.db);
    expect(invariantsOf(report, userId)).toEqual(['hold_matches_task']);
    expect(report.violations.find((v) => v.userId === userId)!.detail).toBe('task is marked refunded but its charge was not refunded');
  });

  it('frozen_equals_journal: a freeze journaled without a hold', async () => {
    const { userId } = await userWithEveryTaskState(t.db);
    await t.db.query(`INSERT INTO credit_transactions (user_id, type, amount, reference_id) VALUES ($1, 'freeze', 3, $2)`, [
      userId,
      randomUUID(),
    ]);
    const report = await audit(t.db);
    expect(invariantsOf(report, userId)).toEqual(['frozen_equals_journal']);
    expect(report.violations.find((v) => v.userId === userId)?.detail).toBe(
      'frozen_balance is 20 but freezes - charges - unfreezes = 23',
    );
  });

  it.each([
    ['pending', 'completed', 'completed task has its hold open, expected captured'],
    ['processing', 'canceled', 'canceled task has its hold open, expected released'],
    ['completed', 'failed', 'failed task has its hold captured, expected released'],
    ['failed', 'completed', 'completed task has its hold released, expected captured'],
    ['canceled', 'processing', 'processing task has its hold released, expected open'],
  ] as const)('hold_matches_task: a %s task moved to %s without settling', async (from, to, detail) => {
    const { userId, tasks } = await userWithEveryTaskState(t.db);
    await setTaskStatus(t.db, tasks[from], to);
    const report = await audit(t.db);
    expect(report.violations.filter((v) => v.userId === userId)).toEqual([
      { invariant: 'hold_matches_task', userId, taskId: tasks[from], detail },
    ]);
  });

  it('hold_matches_task: a task without a hold', async () => {
    const userId = await createFundedUser(t.db, 10);
    const taskId = await insertTask(t.db, userId, { status: 'processing' });
    expect((await audit(t.db)).violations.filter((v) => v.userId === userId)).toEqual([
      { invariant: 'hold_matches_task', userId, taskId, detail: 'processing task has no hold' },
    ]);
  });

  it('hold_has_journal: a hold resolved without its settlement entry', async () => {
    const { userId, tasks } = await userWithEveryTaskState(t.db);
    const taskId = tasks.completed;
    // The task and hold agree and the balances are right; only the journal tells that it was charged, not released.
    await t.db.query(`UPDATE credit_holds SET status = 'released' WHERE task_id = $1`, [taskId]);
    await setTaskStatus(t.db, taskId, 'failed');
    const report = await audit(t.db);
    expect(report.violations.filter((v) => v.userId === userId)).toEqual([
      { invariant: 'hold_has_journal', userId, taskId, detail: 'released hold of 10 has a charge entry of 10' },
      { invariant: 'hold_has_journal', userId, taskId, detail: 'released hold of 10 has no unfreeze entry' },
    ]);
  });

  it('hold_has_journal: a hold inserted without a freeze entry', async () => {
    const userId = await createFundedUser(t.db, 100);
    const taskId = await insertTask(t.db, userId, { status: 'failed' });
    await t.db.query(
      `INSERT INTO credit_holds (id, task_id, user_id, amount, status, expires_at, settled_at)
       VALUES ($1, $2, $3, 10, 'released', now(), now())`,
      [randomUUID(), taskId, userId],
    );
    const report = await audit(t.db);
    expect(report.violations.filter((v) => v.userId === userId).map((v) => v.detail)).toEqual([
      'released hold of 10 has no freeze entry',
      'released hold of 10 has no unfreeze entry',
    ]);
    expect(invariantsOf(report, userId)).toEqual(['hold_has_journal', 'hold_has_journal']);
  });

  it('hold_has_journal: a captured hold whose amount differs from its journal', async () => {
    const { userId, tasks } = await userWithEveryTaskState(t.db);
    await t.db.query('UPDATE credit_holds SET amount = 9 WHERE task_id = $1', [tasks.completed]);
    expect((await audit(t.db)).violations.filter((v) => v.userId === userId).map((v) => v.detail)).toEqual([
      'captured hold of 9 has a charge entry of 10',
      'captured hold of 9 has a freeze entry of 10',
    ]);
  });

  it('no_expired_open_holds: an open hold past expires_at plus the grace period', async () => {
    const userId = await createFundedUser(t.db, 100);
    const expired = await submitTask(t.db, userId, 10, new Date(Date.now() - 2 * HOUR));
    await submitTask(t.db, userId, 10, new Date(Date.now() - HOUR / 2));
    const captured = await submitTask(t.db, userId, 10, new Date(Date.now() - 2 * HOUR));
    await t.db.transaction(async (tx) => {
      await captureHold(tx, captured);
      await setTaskStatus(tx, captured, 'completed');
    });

    const report = await audit(t.db);
    expect(report.violations.filter((v) => v.userId === userId)).toEqual([
      {
        invariant: 'no_expired_open_holds',
        userId,
        taskId: expired,
        detail: expect.stringMatching(/^hold of 10 is still open; it expired at /),
      },
    ]);
    expect(invariantsOf(await audit(t.db, { holdGraceMs: 3 * HOUR }), userId)).toEqual([]);
    expect(invariantsOf(await audit(t.db, { holdGraceMs: 0 }), userId)).toEqual([
      'no_expired_open_holds',
      'no_expired_open_holds',
    ]);
  });

  it('formatAuditReport names every violated invariant with the task or user it concerns', async () => {
    const { userId, tasks } = await userWithEveryTaskState(t.db);
    await setTaskStatus(t.db, tasks.pending, 'completed');
    await t.db.query('UPDATE user_credits SET balance = balance + 1 WHERE user_id = $1', [userId]);
    const report = await audit(t.db);
    const text = formatAuditReport(report);

    expect(text).toMatch(
      new RegExp(`^Audit failed: ${report.violations.length} violations of \\d+ invariants \\(\\d+ accounts, \\d+ tasks checked\\)`),
    );
    expect(text).toContain(`\nbalance_equals_journal (`);
    expect(text).toContain(`\n  user ${userId}: balance is 991 but grants - charges + refunds - debits = 990`);
    expect(text).toContain(`\nhold_matches_task (`);
    expect(text).toContain(`\n  task ${tasks.pending}: completed task has its hold open, expected captured`);
    for (const invariant of new Set(report.violations.map((v) => v.invariant))) {
      expect(text).toContain(`\n${invariant} (`);
    }
  });
});

describe('audit without the CHECK constraints', () => {
  it('no_negative_balance: frozen above balance once the constraint that forbids it is gone', async () => {
    const t = await createTestDatabase();
    try {
      const userId = await createUser(t.db);
      await grantCredits(t.db, { userId, amount: 50 });
      await submitTask(t.db, userId, 30);
      await t.db.query('ALTER TABLE user_credits DROP CONSTRAINT frozen_within_balance');
      await t.db.query('UPDATE user_credits SET balance = 20 WHERE user_id = $1', [userId]);
      const report = await audit(t.db);
      expect(report.violations).toEqual([
        { invariant: 'balance_equals_journal', userId, detail: 'balance is 20 but grants - charges + refunds - debits = 50' },
        { invariant: 'no_negative_balance', userId, detail: 'balance is 20 and frozen_balance is 30' },
      ]);
    } finally {
      await t.drop();
    }
  });
});
