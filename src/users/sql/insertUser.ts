import { prepared, type Queryable } from '../../db/index.js';
import type { UserRecord } from '../types.js';
import { USER_COLUMNS } from './userColumns.js';

// An externalId already taken inserts nothing (the caller then finds that user); an e-mail address already taken
// is a unique violation.
const INSERT = prepared(
  'insertUser',
  `INSERT INTO users (id, external_id, email, name) VALUES ($1, $2, $3, $4)
   ON CONFLICT (external_id) DO NOTHING
   RETURNING ${USER_COLUMNS}`,
);

export async function insertUser(
  db: Queryable,
  user: { userId: string; externalId: string | null; email: string | null; name: string | null },
): Promise<UserRecord | null> {
  const { rows } = await db.query<UserRecord>(INSERT, [user.userId, user.externalId, user.email, user.name]);
  return rows[0] ?? null;
}
