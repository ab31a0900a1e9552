import { randomBytes } from 'node:crypto';
import type { Db } from '../src/db/index.js';
import { grantCredits } from '../src/ledger/index.js';
import type { LoadUser } from './load.js';

export interface TopUpStats {
  /** Grants that committed. */
  grants: number;
  credits: number;
  /** Grants that failed (PostgreSQL away, the pool reconnecting); the next tick grants again, under its own reference. */
  failed: number;
}

/**
 * Tops every user up by `credits` every `everyMs`, through the ledger's grant (what `settle credits grant` and the
 * admin API call), concurrently with the load: accepted tasks keep flowing for the whole run instead of the run
 * turning into a test of 402s once the first credits are spent. Each grant has its own reference, so a grant that
 * committed but whose answer was lost is not counted twice by the ledger; 0 credits turns the top-ups off.
 */
export function startTopUps(db: Db, users: LoadUser[], credits: number, everyMs: number): { stop(): Promise<TopUpStats> } {
  const stats: TopUpStats = { grants: 0, credits: 0, failed: 0 };
  const run = randomBytes(4).toString('hex');
  let tick = 0;
  const inFlight = new Set<Promise<unknown>>();
  const grantAll = (n: number) => Promise.all(users.map((user) =>
    grantCredits(db, { userId: user.userId, amount: credits, reference: `chaos-topup:${run}:${n}:${user.userId}` }).then(
      () => void ((stats.grants += 1), (stats.credits += credits)),
      () => void stats.failed++,
    )));
  const timer = credits > 0 ? setInterval(() => {
    const grants = grantAll(++tick);
    inFlight.add(grants);
    void grants.finally(() => inFlight.delete(grants));
  }, everyMs) : undefined;
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      return stats;
    },
  };
}
