import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/index.js';
import { InsufficientCreditsError, captureHold, getCredits, releaseHold } from '../../src/ledger/index.js';
import { audit } from '../../src/tasks/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createFundedUser, holdOf, journalOf, setTaskStatus, submitTask } from './fixtures.js';

// On PostgreSQL these run truly in parallel through the pool (max 20); PGlite serialises them, which must also hold.
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

/** Keeps the transaction, and so its row locks, open a little longer so that competitors queue on the lock. */
const linger = (tx: Queryable) => tx.query('SELECT pg_sleep(0.02)');

it('50 concurrent submissions against credits for exactly 10 holds: 10 succeed, 40 are refused', async () => {
  const amount = 7;
  const userId = await createFundedUser(t.db, 10 * amount);
  const results = await Promise.allSettled(Array.from({ length: 50 }, () => submitTask(t.db, userId, amount)));

  const accepted = results.filter((r) => r.status === 'fulfilled');
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(accepted).toHaveLength(10);
  expect(refused).toHaveLength(40);
  for (const r of refused) expect(r.reason).toBeInstanceOf(InsufficientCreditsError);

  expect(await getCredits(t.db, userId)).toEqual({ balance: 70, frozen: 70, available: 0 });
  const { rows } = await t.db.query<{ tasks: number; holds: number }>(
    `SELECT (SELECT count(*) FROM tasks WHERE user_id = $1) AS tasks,
            (SELECT count(*) FROM credit_holds WHERE user_id = $1 AND status = 'open') AS holds`,
    [userId],
  );
  expect(rows[0]).toEqual({ tasks: 10, holds: 10 });
  expect((await journalOf(t.db, userId)).filter((row) => row.type === 'freeze')).toHaveLength(10);
});

it('20 concurrent captures of one hold charge exactly once', async () => {
  const userId = await createFundedUser(t.db, 100);
  const taskId = await submitTask(t.db, userId, 40);
  const results = await Promise.all(
    Array.from({ length: 20 }, () =>
      t.db.transaction(async (tx) => {
        const captured = await captureHold(tx, taskId);
        if (captured !== null) await setTaskStatus(tx, taskId, 'completed');
        await linger(tx);
        return captured;
      }),
    ),
  );

  expect(results.filter((r) => r === 40)).toHaveLength(1);
  expect(results.filter((r) => r === null)).toHaveLength(19);
  expect((await journalOf(t.db, userId)).filter((row) => row.type === 'charge')).toEqual([
    { type: 'charge', amount: 40, reference_id: taskId },
  ]);
  expect(await getCredits(t.db, userId)).toEqual({ balance: 60, frozen: 0, available: 60 });
});

it('captures racing releases settle every hold exactly once and keep the ledger consistent', async () => {
  const rounds = 30;
  const userId = await createFundedUser(t.db, 1000);
  let charged = 0;

  for (let round = 0; round < rounds; round++) {
    const amount = 1 + (round % 5);
    const taskId = await submitTask(t.db, userId, amount);
    // Settle the way the task lifecycle does: the task's terminal status commits with the settlement.
    const attempt = (kind: 'capture' | 'release') =>
      t.db.transaction(async (tx) => {
        const settled = kind === 'capture' ? await captureHold(tx, taskId) : await releaseHold(tx, taskId);
        if (settled !== null) await setTaskStatus(tx, taskId, kind === 'capture' ? 'completed' : 'failed');
        await linger(tx);
        return settled === null ? null : kind;
      });
    const winners = (await Promise.all([attempt('release'), attempt('capture'), attempt('release'), attempt('capture')]))
      .filter((w) => w !== null);

    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    expect((await holdOf(t.db, taskId))!.status).toBe(winner === 'capture' ? 'captured' : 'released');
    const settlements = (await journalOf(t.db, userId)).filter(
      (row) => row.reference_id === taskId && row.type !== 'freeze',
    );
    expect(settlements).toEqual([{ type: winner === 'capture' ? 'charge' : 'unfreeze', amount, reference_id: taskId }]);
    if (winner === 'capture') charged += amount;
  }

  expect(await getCredits(t.db, userId)).toEqual({ balance: 1000 - charged, frozen: 0, available: 1000 - charged });
  const report = await audit(t.db);
  expect(report.violations).toEqual([]);
  expect(report.ok).toBe(true);
});
