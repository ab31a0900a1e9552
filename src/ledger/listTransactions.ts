import { prepared, type Queryable } from '../db/index.js';

export type TransactionType = 'grant' | 'debit' | 'freeze' | 'charge' | 'unfreeze' | 'refund';

export interface Transaction {
  id: number;
  type: TransactionType;
  /** Always positive; the type says which way it moved. */
  amount: number;
  /** The task a freeze, charge, unfreeze or refund belongs to. */
  taskId: string | null;
  /** The caller's reference of a grant or debit made through the credits API. */
  reference: string | null;
  reason: string | null;
  createdAt: Date;
}

const TASK_TYPES = `('freeze', 'charge', 'unfreeze', 'refund')`;

const LIST = prepared(
  'listTransactions',
  `SELECT id, type, amount, CASE WHEN type IN ${TASK_TYPES} THEN reference_id END AS "taskId", reference, reason,
          created_at AS "createdAt"
   FROM credit_transactions
   WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
   ORDER BY id DESC
   LIMIT $3`,
);

/** A user's journal, newest first, a page at a time before the given entry id. `next` is the key of the page after. */
export async function listTransactions(
  db: Queryable,
  query: { userId: string; beforeId: number | null; limit: number },
): Promise<{ transactions: Transaction[]; next: number | null }> {
  const { rows } = await db.query<Transaction>(LIST, [query.userId, query.beforeId, query.limit + 1]);
  const more = rows.length > query.limit;
  const transactions = rows.slice(0, query.limit);
  return { transactions, next: more ? transactions.at(-1)!.id : null };
}
