import type { Queryable } from '../db/index.js';
import { HELD, holdCreditsAndInsertOne, REQUESTS } from './holdCreditsAndInsert.js';

/**
 * Freezes credits for a task whose row already exists (inside the transaction that inserted it): the same guarded
 * statement as submission's, with nothing gated on it. Throws InsufficientCreditsError, changing nothing, when the
 * available balance is short.
 */
export function holdCredits(
  tx: Queryable,
  input: { userId: string; taskId: string; amount: number; expiresAt: Date },
): Promise<{ holdId: string }> {
  return holdCreditsAndInsertOne(tx, input, {}, {
    name: 'holdCredits',
    columns: {},
    sql: `SELECT r.hold_id::text AS "holdId" FROM ${REQUESTS} r JOIN ${HELD} USING (task_id)`,
  });
}
