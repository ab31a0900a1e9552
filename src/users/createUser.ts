import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/index.js';
import { isUniqueViolation } from '../db/index.js';
import { ensureCreditAccount, grantCredits } from '../ledger/index.js';
import { createApiKey } from './apiKeys.js';
import { findUserByExternalId } from './sql/findUsers.js';
import { insertUser } from './sql/insertUser.js';
import type { Role, UserRecord } from './types.js';

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
  keyId: string;
  apiKey: string;
}

export interface AppUser {
  /** The app's own user id: asking again with it finds the same user. */
  externalId?: string;
  email?: string;
  name?: string;
  /** The opening grant, made only when the user is created. */
  credits?: number;
}

export class UserExistsError extends Error {
  constructor(readonly email: string) {
    super(`A user with email ${email} already exists`);
    this.name = 'UserExistsError';
  }
}

const normalEmail = (email: string): string => email.trim().toLowerCase();

/** Creates the user, their credit account, an API key and the opening grant, all or nothing (`settle users create`). */
export async function createUser(db: Db, input: NewUser): Promise<CreatedUser> {
  const role = input.role ?? 'user';
  const email = normalEmail(input.email);
  const opened = await openAccount(db, { email, name: input.name, credits: input.credits }, (tx, userId) => createApiKey(tx, userId, role));
  return { userId: opened!.user.userId, email, role, ...opened!.extra };
}

/**
 * The app's user, created with its credit account and opening grant, or found by its externalId: the same externalId
 * again answers that user (`created: false`) and grants nothing. Keys are made separately.
 */
export async function ensureUser(db: Db, input: AppUser): Promise<{ user: UserRecord; created: boolean }> {
  const found = input.externalId ? await findUserByExternalId(db, input.externalId) : null;
  if (found) return { user: found, created: false };
  const opened = await openAccount(db, { ...input, email: input.email && normalEmail(input.email) }, async () => undefined);
  if (opened) return { user: opened.user, created: true };
  // Another request created this externalId between the look-up and the insert.
  return { user: (await findUserByExternalId(db, input.externalId!))!, created: false };
}

/**
 * One transaction: the user row, the credit account, the opening grant and whatever `extra` adds (a key). Null when
 * the externalId is taken (its insert does nothing); an e-mail address already taken throws UserExistsError.
 */
async function openAccount<T>(db: Db, input: AppUser, extra: (tx: Queryable, userId: string) => Promise<T>): Promise<{ user: UserRecord; extra: T } | null> {
  try {
    return await db.transaction(async (tx) => {
      const user = await insertUser(tx, { userId: randomUUID(), externalId: input.externalId ?? null, email: input.email ?? null, name: input.name ?? null });
      if (!user) return null;
      await ensureCreditAccount(tx, user.userId);
      if (input.credits) await grantCredits(tx, { userId: user.userId, amount: input.credits, reference: `signup:${user.userId}` });
      return { user, extra: await extra(tx, user.userId) };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new UserExistsError(input.email ?? '');
    throw err;
  }
}

export async function findUserByEmail(db: Db, email: string): Promise<{ id: string; email: string } | null> {
  const { rows } = await db.query<{ id: string; email: string }>('SELECT id, email FROM users WHERE email = $1', [normalEmail(email)]);
  return rows[0] ?? null;
}
