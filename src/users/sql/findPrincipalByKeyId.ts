import { prepared, type Queryable } from '../../db/index.js';
import type { Principal } from '../types.js';
import { PRINCIPAL_COLUMNS } from './principalColumns.js';

const FIND = prepared(
  'findPrincipalByKeyId',
  `SELECT ${PRINCIPAL_COLUMNS}
     FROM api_keys k JOIN users u ON u.id = k.user_id
    WHERE k.id = $1 AND k.user_id = $2 AND k.revoked_at IS NULL`,
);

/** The owner of an unrevoked key, by the key's id and its user (a session names both); null once it is revoked. */
export async function findPrincipalByKeyId(db: Queryable, keyId: string, userId: string): Promise<Principal | null> {
  const { rows } = await db.query<Principal>(FIND, [keyId, userId]);
  return rows[0] ?? null;
}
