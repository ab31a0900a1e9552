import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InsufficientCreditsError,
  captureHold,
  ensureCreditAccount,
  getCredits,
  grantCredits,
  holdCredits,
  releaseHold,
} from '../../src/ledger/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import {
  HOUR,
  createFundedUser,
  createUser,
  holdOf,
  insertTask,
  journalOf,
  ledgerRowCounts,
  submitTask,
} from './fixtures.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe('grantCredits', () => {
  it('creates the account on the first grant, adds on later ones and journals each', async () => {
    const userId = await createUser(t.db);
    expect(await grantCredits(t.db, { userId, amount: 100 })).toEqual({ balance: 100 });
    expect(await grantCredits(t.db, { userId, amount: 50, reference: 'order-1' })).toEqual({ balance: 150 });
    expect(await getCredits(t.db, userId)).toEqual({ balance: 150, frozen: 0, available: 150 });
    const journal = await journalOf(t.db, userId);
    expect(journal).toEqual([
      { type: 'grant', amount: 100, reference_id: expect.stringMatching(/^grant:[0-9a-f-]{36}$/) },
      { type: 'grant', amount: 50, reference_id: 'order-1' },
    ]);
  });

  it('treats a repeated reference as a no-op that reports the current balance', async () => {
    const userId = await createFundedUser(t.db, 10);
    expect(await grantCredits(t.db, { userId, amount: 40, reference: `pay-${userId}` })).toEqual({ balance: 50 });
    expect(await grantCredits(t.db, { userId, amount: 40, reference: `pay-${userId}` })).toEqual({ balance: 50 });
    expect(await getCredits(t.db, userId)).toEqual({ balance: 50, frozen: 0, available: 50 });
    expect((await journalOf(t.db, userId)).filter((row) => row.reference_id === `pay-${userId}`)).toHaveLength(1);
  });

  it('rejects an amount that is not a positive safe integer and writes nothing', async () => {
    const userId = await createUser(t.db);
    const before = await ledgerRowCounts(t.db);
    for (const amount of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      await expect(grantCredits(t.db, { userId, amount })).rejects.toThrow(RangeError);
    }
    expect(await ledgerRowCounts(t.db)).toEqual(before);
  });
});

describe('ensureCreditAccount and getCredits', () => {
  it('reports zeros for a user without an account', async () => {
    const userId = await createUser(t.db);
    expect(await getCredits(t.db, userId)).toEqual({ balance: 0, frozen: 0, available: 0 });
    const { rowCount } = await t.db.query('SELECT 1 FROM user_credits WHERE user_id = $1', [userId]);
    expect(rowCount).toBe(0);
  });

  it('creates an empty account once and never resets an existing one', async () => {
    const userId = await createUser(t.db);
    await ensureCreditAccount(t.db, userId);
    const { rows } = await t.db.query('SELECT balance, frozen_balance FROM user_credits WHERE user_id = $1', [userId]);
    expect(rows).toEqual([{ balance: 0, frozen_balance: 0 }]);
    await grantCredits(t.db, { userId, amount: 7 });
    await ensureCreditAccount(t.db, userId);
    expect(await getCredits(t.db, userId)).toEqual({ balance: 7, frozen: 0, available: 7 });
  });
});

describe('holdCredits', () => {
  it('freezes the amount, opens a hold and journals the freeze against the task', async () => {
    const userId = await createFundedUser(t.db, 100);
    const taskId = await insertTask(t.db, userId, { price: 30 });
    const expiresAt = new Date(Date.now() + HOUR);
    const { holdId } = await holdCredits(t.db, { userId, taskId, amount: 30, expiresAt });

    expect(await getCredits(t.db, userId)).toEqual({ balance: 100, frozen: 30, available: 70 });
    expect(await holdOf(t.db, taskId)).toEqual({
      id: holdId,
      user_id: userId,
      amount: 30,
      status: 'open',
      expires_at: expiresAt,
      settled_at: null,
    });
    expect((await journalOf(t.db, userId)).slice(1)).toEqual([{ type: 'freeze', amount: 30, reference_id: taskId }]);
  });

  it('may freeze exactly the available balance, and not one credit more', async () => {
    const userId = await createFundedUser(t.db, 50);
    await submitTask(t.db, userId, 30);
    const before = await ledgerRowCounts(t.db);
    const taskId = await insertTask(t.db, userId, { price: 21 });

    const refused = holdCredits(t.db, { userId, taskId, amount: 21, expiresAt: new Date(Date.now() + HOUR) });
    await expect(refused).rejects.toThrow(InsufficientCreditsError);
    const error = await refused.catch((err: unknown) => err);
    expect(error).toMatchObject({ name: 'InsufficientCreditsError', userId, requested: 21 });
    expect(await ledgerRowCounts(t.db)).toEqual({ ...before, tasks: before.tasks! + 1 });
    expect(await getCredits(t.db, userId)).toEqual({ balance: 50, frozen: 30, available: 20 });

    await holdCredits(t.db, { userId, taskId, amount: 20, expiresAt: new Date(Date.now() + HOUR) });
    expect(await getCredits(t.db, userId)).toEqual({ balance: 50, frozen: 50, available: 0 });
  });

  it('refuses a user without an account', async () => {
    const userId = await createUser(t.db);
    const taskId = await insertTask(t.db, userId);
    const before = await ledgerRowCounts(t.db);
    await expect(
      holdCredits(t.db, { userId, taskId, amount: 1, expiresAt: new Date(Date.now() + HOUR) }),
    ).rejects.toBeInstanceOf(InsufficientCreditsError);
    expect(await ledgerRowCounts(t.db)).toEqual(before);
  });

  it('rolls back the submission transaction when credits are short, leaving no task behind', async () => {
    const userId = await createFundedUser(t.db, 5);
    const before = await ledgerRowCounts(t.db);
    await expect(submitTask(t.db, userId, 6)).rejects.toBeInstanceOf(InsufficientCreditsError);
    expect(await ledgerRowCounts(t.db)).toEqual(before);
  });

  it('rejects a non-integer amount before touching the database', async () => {
    const userId = await createFundedUser(t.db, 100);
    const taskId = await insertTask(t.db, userId);
    const expiresAt = new Date(Date.now() + HOUR);
    await expect(holdCredits(t.db, { userId, taskId, amount: 2.5, expiresAt })).rejects.toThrow(RangeError);
    await expect(holdCredits(t.db, { userId, taskId, amount: 0, expiresAt })).rejects.toThrow(RangeError);
    expect(await getCredits(t.db, userId)).toEqual({ balance: 100, frozen: 0, available: 100 });
  });

  it('refuses a second hold for the same task', async () => {
    const userId = await createFundedUser(t.db, 100);
    const taskId = await submitTask(t.db, userId, 10);
    await expect(
      t.db.transaction((tx) => holdCredits(tx, { userId, taskId, amount: 10, expiresAt: new Date(Date.now() + HOUR) })),
    ).rejects.toThrow();
    expect(await getCredits(t.db, userId)).toEqual({ balance: 100, frozen: 10, available: 90 });
  });
});

describe('captureHold and releaseHold', () => {
  it('capture charges the frozen amount and journals the charge', async () => {
    const userId = await createFundedUser(t.db, 100);
    const taskId = await submitTask(t.db, userId, 30);
    expect(await t.db.transaction((tx) => captureHold(tx, taskId))).toBe(30);

    expect(await getCredits(t.db, userId)).toEqual({ balance: 70, frozen: 0, available: 70 });
    expect(await holdOf(t.db, taskId)).toMatchObject({ status: 'captured', settled_at: expect.any(Date) });
    expect((await journalOf(t.db, userId)).slice(1)).toEqual([
      { type: 'freeze', amount: 30, reference_id: taskId },
      { type: 'charge', amount: 30, reference_id: taskId },
    ]);
  });

  it('release unfreezes the amount, leaves the balance and journals the unfreeze', async () => {
    const userId = await createFundedUser(t.db, 100);
    const kept = await submitTask(t.db, userId, 20);
    const taskId = await submitTask(t.db, userId, 30);
    expect(await t.db.transaction((tx) => releaseHold(tx, taskId))).toBe(30);

    expect(await getCredits(t.db, userId)).toEqual({ balance: 100, frozen: 20, available: 80 });
    expect(await holdOf(t.db, taskId)).toMatchObject({ status: 'released', settled_at: expect.any(Date) });
    expect(await holdOf(t.db, kept)).toMatchObject({ status: 'open', settled_at: null });
    expect((await journalOf(t.db, userId)).slice(1)).toEqual([
      { type: 'freeze', amount: 20, reference_id: kept },
      { type: 'freeze', amount: 30, reference_id: taskId },
      { type: 'unfreeze', amount: 30, reference_id: taskId },
    ]);
  });

  const secondSettlements = [
    { first: 'capture', second: 'capture', credits: { balance: 70, frozen: 0, available: 70 } },
    { first: 'capture', second: 'release', credits: { balance: 70, frozen: 0, available: 70 } },
    { first: 'release', second: 'capture', credits: { balance: 100, frozen: 0, available: 100 } },
    { first: 'release', second: 'release', credits: { balance: 100, frozen: 0, available: 100 } },
  ] as const;
  const settle = { capture: captureHold, release: releaseHold };

  it.each(secondSettlements)('$second after $first returns null and writes nothing', async ({ first, second, credits }) => {
    const userId = await createFundedUser(t.db, 100);
    const taskId = await submitTask(t.db, userId, 30);
    expect(await settle[first](t.db, taskId)).toBe(30);
    const status = (await holdOf(t.db, taskId))!.status;
    const before = await ledgerRowCounts(t.db);

    expect(await settle[second](t.db, taskId)).toBeNull();
    expect(await ledgerRowCounts(t.db)).toEqual(before);
    expect(await getCredits(t.db, userId)).toEqual(credits);
    expect((await holdOf(t.db, taskId))!.status).toBe(status);
  });

  it('returns null for a task that has no hold', async () => {
    const before = await ledgerRowCounts(t.db);
    expect(await captureHold(t.db, randomUUID())).toBeNull();
    expect(await releaseHold(t.db, randomUUID())).toBeNull();
    expect(await ledgerRowCounts(t.db)).toEqual(before);
  });
});

describe('the journal', () => {
  it('refuses UPDATE and DELETE', async () => {
    const userId = await createUser(t.db);
    await grantCredits(t.db, { userId, amount: 5, reference: `append-only-${userId}` });
    await expect(
      t.db.query('UPDATE credit_transactions SET amount = 6 WHERE user_id = $1', [userId]),
    ).rejects.toThrow(/append-only/);
    await expect(t.db.query('DELETE FROM credit_transactions WHERE user_id = $1', [userId])).rejects.toThrow(
      /append-only/,
    );
    expect(await journalOf(t.db, userId)).toEqual([{ type: 'grant', amount: 5, reference_id: `append-only-${userId}` }]);
  });
});
