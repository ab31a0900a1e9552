import type { Queryable } from '../../db/index.js';
import { foldOutboxCounts } from './foldOutboxCounts.js';
import { selectOutboxCounts, type OutboxCountRow } from './selectOutboxCounts.js';

/** Outbox entries by channel and status, as the rows stand, without scanning the outbox. */
export async function readOutboxCounts(db: Queryable): Promise<OutboxCountRow[]> {
  await foldOutboxCounts(db);
  return selectOutboxCounts(db);
}
