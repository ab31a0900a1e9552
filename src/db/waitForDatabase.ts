import { connectFailure, DatabaseError, isPassing, targetOf } from './errors.js';
import type { Db } from './types.js';

export interface WaitOptions {
  /** How long to keep trying while the server is unreachable or starting; 0: one try. */
  waitMs: number;
  /** One line per failed try. */
  onWait?: (line: string) => void;
}

const FIRST_PAUSE_MS = 500;
const LONGEST_PAUSE_MS = 5_000;

/**
 * Tries the database until it answers or waitMs runs out. An orchestrator often starts Settle and its database
 * together, so a refused or timed-out connection is tried again; a refused password, an unknown host or a missing
 * database is not (waiting cannot fix them) and fails at once with one line.
 */
export async function waitForDatabase(db: Db, connectionString: string, options: WaitOptions): Promise<void> {
  const target = targetOf(connectionString);
  const deadline = Date.now() + options.waitMs;
  for (let attempt = 1, pauseMs = FIRST_PAUSE_MS; ; attempt++, pauseMs = Math.min(pauseMs * 2, LONGEST_PAUSE_MS)) {
    try {
      await db.query('SELECT 1');
      return;
    } catch (err) {
      const why = connectFailure(err, target);
      const leftMs = deadline - Date.now();
      if (!isPassing(err) || options.waitMs === 0) throw new DatabaseError(why);
      if (leftMs <= 0) throw new DatabaseError(`${why}; gave up after waiting ${seconds(options.waitMs)} (DATABASE_WAIT_MS)`);
      const pause = Math.min(pauseMs, leftMs);
      options.onWait?.(`waiting for the database (try ${attempt}: ${why}); next try in ${seconds(pause)}, ${seconds(leftMs)} left`);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

const seconds = (ms: number): string => `${Math.ceil(ms / 100) / 10} s`;
