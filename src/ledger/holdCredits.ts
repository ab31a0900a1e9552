import type { Queryable } from '../db/index.js';
import { holdCreditsAndInsert, NEW_HOLD } from './holdCreditsAndInsert.js';

/**
 * Freezes credits for a task whose row already exists (inside the transaction that inserted it): the same guarded
 * statement as submission's, with nothing gated on it. Throws InsufficientCreditsError, changing nothing, when the
 * available balance is short.
 */
export function holdCredits(
  tx: Queryable,
  input: { userId: string; taskId: string; amount: number; expiresAt: Date },
): Promise<{ holdId: string }> {
  return holdCreditsAndInsert(tx, input, { name: 'holdCredits', sql: `SELECT id::text AS "holdId" FROM ${NEW_HOLD}`, params: [] });
}
