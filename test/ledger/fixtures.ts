import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../../src/db/index.js';
import { grantCredits, holdCredits } from '../../src/ledger/index.js';

export type TaskStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'canceled';

export const HOUR = 60 * 60 * 1000;

export async function createUser(db: Queryable): Promise<string> {
  const id = randomUUID();
  await db.query('INSERT INTO users (id, email) VALUES ($1, $2)', [id, `${id}@example.com`]);
  return id;
}

/** A user whose account already holds `credits`. */
export async function createFundedUser(db: Queryable, credits: number): Promise<string> {
  const userId = await createUser(db);
  await grantCredits(db, { userId, amount: credits });
  return userId;
}

/** A tasks row with only the required columns; the ledger never reads the rest. */
export async function insertTask(
  db: Queryable,
  userId: string,
  options: { id?: string; status?: TaskStatus; price?: number } = {},
): Promise<string> {
  const id = options.id ?? randomUUID();
  const status = options.status ?? 'pending';
  await db.query(
    `INSERT INTO tasks (id, user_id, type, model, provider, input, status, price, provider_task_id, max_attempts, timeout_ms)
     VALUES ($1, $2, 'video', 'sora-2-text-to-video', 'kie', '{"prompt":"a cat"}', $3, $4, $5, 3, 600000)`,
    [id, userId, status, options.price ?? 10, status === 'pending' ? null : `kie-${id}`],
  );
  return id;
}

/** What task submission does: the task row and its hold commit together or not at all. */
export function submitTask(
  db: Db,
  userId: string,
  amount: number,
  expiresAt = new Date(Date.now() + HOUR),
): Promise<string> {
  return db.transaction(async (tx) => {
    const taskId = await insertTask(tx, userId, { price: amount });
    await holdCredits(tx, { userId, taskId, amount, expiresAt });
    return taskId;
  });
}

export async function setTaskStatus(db: Queryable, taskId: string, status: TaskStatus): Promise<void> {
  await db.query(`UPDATE tasks SET status = $2, provider_task_id = coalesce(provider_task_id, 'kie-' || id) WHERE id = $1`, [
    taskId,
    status,
  ]);
}

export interface JournalRow {
  type: string;
  amount: number;
  reference_id: string;
}

export async function journalOf(db: Queryable, userId: string): Promise<JournalRow[]> {
  const { rows } = await db.query<JournalRow>(
    'SELECT type, amount, reference_id FROM credit_transactions WHERE user_id = $1 ORDER BY id',
    [userId],
  );
  return rows;
}

export interface HoldRow {
  id: string;
  user_id: string;
  amount: number;
  status: string;
  expires_at: Date;
  settled_at: Date | null;
}

export async function holdOf(db: Queryable, taskId: string): Promise<HoldRow | undefined> {
  const { rows } = await db.query<HoldRow>(
    'SELECT id, user_id, amount, status, expires_at, settled_at FROM credit_holds WHERE task_id = $1',
    [taskId],
  );
  return rows[0];
}

/** Row counts of every ledger table, to prove that a refused operation wrote nothing anywhere. */
export async function ledgerRowCounts(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<Record<string, number>>(
    `SELECT (SELECT count(*) FROM user_credits) AS accounts,
            (SELECT count(*) FROM credit_holds) AS holds,
            (SELECT count(*) FROM credit_transactions) AS journal,
            (SELECT count(*) FROM tasks) AS tasks`,
  );
  return rows[0]!;
}
