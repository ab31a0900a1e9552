import type { Queryable } from '../db/index.js';
import { findUser, findUserByExternalId } from './sql/findUsers.js';
import type { UserRecord } from './types.js';

const EXTERNAL = 'ext:';

/** The user a `Settle-User` header names: `ext:<externalId>` is the app's own id, anything else a Settle user id. */
export async function findNamedUser(db: Queryable, name: string): Promise<UserRecord | null> {
  return name.startsWith(EXTERNAL) ? findUserByExternalId(db, name.slice(EXTERNAL.length)) : findUser(db, name);
}
