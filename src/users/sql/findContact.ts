import type { Queryable } from '../../db/index.js';

export interface Contact {
  /** Null for a user an app created with only its own id. */
  email: string | null;
  name: string | null;
}

/** Where and whom to write to about a user (the "your video is ready" e-mail). */
export async function findContact(db: Queryable, userId: string): Promise<Contact | null> {
  const { rows } = await db.query<Contact>('SELECT email, name FROM users WHERE id = $1', [userId]);
  return rows[0] ?? null;
}
