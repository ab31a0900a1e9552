import { randomUUID } from 'node:crypto';
import type { Db } from '../db/index.js';
import { isUniqueViolation } from '../db/index.js';
import { ensureCreditAccount, grantCredits } from '../ledger/index.js';
import { createApiKey } from './apiKeys.js';
import type { Role } from './types.js';

export interface NewUser {
  email: string;
  name?: string;
  credits?: number;
  role?: Role;
}

export interface CreatedUser {
  userId: string;
  email: string;
  role: Role;
  apiKey: string;
}

export class UserExistsError extends Error {
  constructor(readonly email: string) {
    super(`A user with email ${email} already exists`);
    this.name = 'UserExistsError';
  }
}

/** Creates the user, their credit account, an API key and the opening grant, all or nothing. */
export async function createUser(db: Db, input: NewUser): Promise<CreatedUser> {
  const email = input.email.trim().toLowerCase();
  const role = input.role ?? 'user';
  const userId = randomUUID();
  try {
    return await db.transaction(async (tx) => {
      await tx.query('INSERT INTO users (id, email, name) VALUES ($1, $2, $3)', [userId, email, input.name ?? null]);
      await ensureCreditAccount(tx, userId);
      if (input.credits) await grantCredits(tx, { userId, amount: input.credits, reference: `signup:${userId}` });
      const apiKey = await createApiKey(tx, userId, role);
      return { userId, email, role, apiKey };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new UserExistsError(email);
    throw err;
  }
}

export async function findUserByEmail(db: Db, email: string): Promise<{ id: string; email: string } | null> {
  const { rows } = await db.query<{ id: string; email: string }>('SELECT id, email FROM users WHERE email = $1', [
    email.trim().toLowerCase(),
  ]);
  return rows[0] ?? null;
}
