import { expect } from 'vitest';
import type { Queryable } from '../../src/db/index.js';
import { audit, formatAuditReport } from '../../src/tasks/index.js';

export async function expectAuditClean(db: Queryable): Promise<void> {
  const report = await audit(db);
  expect(report.violations, formatAuditReport(report)).toEqual([]);
}

export async function journal(db: Queryable, referenceId: string): Promise<{ type: string; amount: number }[]> {
  const { rows } = await db.query<{ type: string; amount: number }>(
    'SELECT type, amount FROM credit_transactions WHERE reference_id = $1 ORDER BY id',
    [referenceId],
  );
  return rows;
}

/** Row counts of every table a request could touch, to prove that a refused request changed nothing. */
export async function tableCounts(db: Queryable, userId?: string): Promise<Record<string, number>> {
  // With a user: that user's rows only, so that other users' tasks settling in the background do not count.
  const mine = userId ? 'WHERE user_id = $1' : '';
  const { rows } = await db.query<Record<string, number>>(
    `SELECT (SELECT count(*) FROM tasks ${mine}) AS tasks, (SELECT count(*) FROM credit_holds ${mine}) AS holds,
            (SELECT count(*) FROM credit_transactions ${mine}) AS journal,
            (SELECT coalesce(sum(frozen_balance), 0) FROM user_credits ${mine}) AS frozen,
            (SELECT coalesce(sum(balance), 0) FROM user_credits ${mine}) AS balance`,
    userId ? [userId] : [],
  );
  return rows[0]!;
}

/** tableCounts plus the accounts: users, keys and revoked keys, for the admin routes that create or revoke them. */
export async function accountCounts(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<Record<string, number>>(
    `SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM api_keys) AS keys,
            (SELECT count(*) FROM api_keys WHERE revoked_at IS NOT NULL) AS revoked,
            (SELECT count(*) FROM tasks WHERE refunded_at IS NOT NULL) AS refunded`,
  );
  return { ...(await tableCounts(db)), ...rows[0]! };
}
