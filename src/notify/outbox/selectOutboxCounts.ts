import type { Queryable } from '../../db/index.js';

export interface OutboxCountRow {
  channel: string;
  status: string;
  entries: number;
}

export async function selectOutboxCounts(db: Queryable): Promise<OutboxCountRow[]> {
  const { rows } = await db.query<OutboxCountRow>(
    `SELECT channel, status, sum(entries)::double precision AS entries FROM outbox_counts GROUP BY channel, status HAVING sum(entries) <> 0`,
  );
  return rows.map((r) => ({ ...r, entries: Number(r.entries) }));
}
