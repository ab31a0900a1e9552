import pLimit from 'p-limit';
import type { Db } from '../src/db/index.js';
import { createUser, type CreatedUser } from '../src/users/index.js';

/** Plenty for any bench size: a 402 would measure the refusal path instead of the one under test. */
export const BENCH_CREDITS = 1_000_000_000;

/** Users with credits and API keys, made the way `settle users create` makes them. */
export function seedUsers(db: Db, count: number): Promise<CreatedUser[]> {
  const limit = pLimit(8);
  return Promise.all(
    Array.from({ length: count }, (_, i) => limit(() => createUser(db, { email: `bench-${i}@bench.example`, credits: BENCH_CREDITS }))),
  );
}
