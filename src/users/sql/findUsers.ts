import { prepared, type Queryable } from '../../db/index.js';
import type { UserRecord } from '../types.js';
import { USER_COLUMNS } from './userColumns.js';

const BY_ID = prepared('findUserById', `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`);
const BY_EXTERNAL_ID = prepared('findUserByExternalId', `SELECT ${USER_COLUMNS} FROM users WHERE external_id = $1`);

export async function findUser(db: Queryable, userId: string): Promise<UserRecord | null> {
  const { rows } = await db.query<UserRecord>(BY_ID, [userId]);
  return rows[0] ?? null;
}

export async function findUserByExternalId(db: Queryable, externalId: string): Promise<UserRecord | null> {
  const { rows } = await db.query<UserRecord>(BY_EXTERNAL_ID, [externalId]);
  return rows[0] ?? null;
}
