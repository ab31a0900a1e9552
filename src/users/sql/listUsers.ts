import { beforeMicrosKey, keysetPage, pageMicros, type NewestFirstKey, type Queryable } from '../../db/index.js';
import type { UserRecord } from '../types.js';
import { USER_COLUMNS } from './userColumns.js';

const LIST = `
  SELECT ${USER_COLUMNS}, ${pageMicros('created_at')}
  FROM users
  WHERE ($1::text IS NULL OR external_id = $1) AND ($2::text IS NULL OR email = $2)
    AND ${beforeMicrosKey('created_at', '$3', '$4')}
  ORDER BY created_at DESC, id DESC
  LIMIT $5`;

export interface UserListQuery {
  externalId?: string;
  email?: string;
  after: NewestFirstKey | null;
  limit: number;
}

/** Users newest first (or the one with this externalId or e-mail), a page after the key; `next` keys the page after. */
export async function listUsers(db: Queryable, q: UserListQuery): Promise<{ users: UserRecord[]; next: NewestFirstKey | null }> {
  const email = q.email?.trim().toLowerCase() ?? null;
  const { rows } = await db.query<UserRecord & { page_us: number }>(LIST, [q.externalId ?? null, email, q.after?.at ?? null, q.after?.id ?? null, q.limit + 1]);
  const { items, next } = keysetPage(rows, q.limit, (u) => u.userId);
  return { users: items, next };
}
