import { prepared, type Queryable } from '../../db/index.js';
import type { Principal } from '../types.js';
import { PRINCIPAL_COLUMNS } from './principalColumns.js';

const FIND = prepared(
  'authenticateApiKey',
  `SELECT ${PRINCIPAL_COLUMNS}
     FROM api_keys k JOIN users u ON u.id = k.user_id
    WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
);

/** The owner of an unrevoked key, found by the key's hash (the unique index on key_hash). */
export async function findPrincipalByKeyHash(db: Queryable, keyHash: string): Promise<Principal | null> {
  const { rows } = await db.query<Principal>(FIND, [keyHash]);
  return rows[0] ?? null;
}
