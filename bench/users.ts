import pLimit from 'p-limit';
import type { Db } from '../src/db/index.js';
import { createUser, type CreatedUser } from '../src/users/index.js';
import type { BenchDatabase } from './benchDatabase.js';

/** Plenty for any bench size: a 402 would measure the refusal path instead of the one under test. */
export const BENCH_CREDITS = 1_000_000_000;

/** Users with credits and API keys, made the way `settle users create` makes them. */
export function seedUsers(db: Db, count: number, section: string): Promise<CreatedUser[]> {
  const limit = pLimit(8);
  return Promise.all(
    Array.from({ length: count }, (_, i) => limit(() => createUser(db, { email: `${section}-${i}@bench.example`, credits: BENCH_CREDITS }))),
  );
}

/** The API keys of new users, written before a `settle serve` child opens the database (PGlite: one process at a time). */
export async function seedApiKeys(database: BenchDatabase, count: number, section: string): Promise<string[]> {
  const db = await database.open();
  try {
    return (await seedUsers(db, count, section)).map((u) => u.apiKey);
  } finally {
    await db.close();
  }
}
