import { afterAll, beforeAll, expect, it } from 'vitest';
import { captureHold, frozenCreditsSummary, releaseHold } from '../../src/ledger/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createFundedUser, submitTask } from './fixtures.js';

// Its own database: the summary totals every user's frozen credits.
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

it('is empty when nothing is frozen', async () => {
  await createFundedUser(t.db, 100);
  expect(await frozenCreditsSummary(t.db)).toEqual({ total: 0, topHolders: [] });
});

it('totals frozen credits and ranks the users holding the most, counting only open holds', async () => {
  const small = await createFundedUser(t.db, 100);
  const large = await createFundedUser(t.db, 500);
  const middle = await createFundedUser(t.db, 100);
  await submitTask(t.db, small, 5);
  await releaseHold(t.db, await submitTask(t.db, small, 50));
  for (const amount of [100, 150, 50]) await submitTask(t.db, large, amount);
  await captureHold(t.db, await submitTask(t.db, large, 10));
  await submitTask(t.db, middle, 40);

  const summary = await frozenCreditsSummary(t.db);
  expect(summary).toEqual({
    total: 345,
    topHolders: [
      { userId: large, frozen: 300, openHolds: 3 },
      { userId: middle, frozen: 40, openHolds: 1 },
      { userId: small, frozen: 5, openHolds: 1 },
    ],
  });
  expect(await frozenCreditsSummary(t.db, 2)).toEqual({ total: 345, topHolders: summary.topHolders.slice(0, 2) });
});

it('rejects a limit that is not a positive integer', async () => {
  await expect(frozenCreditsSummary(t.db, 0)).rejects.toThrow(RangeError);
  await expect(frozenCreditsSummary(t.db, 1.5)).rejects.toThrow(RangeError);
});
