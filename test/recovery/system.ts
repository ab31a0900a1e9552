import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { openPostgres, type Db } from '../../src/db/index.js';
import { createLogger } from '../../src/log/index.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/simulators/index.js';
import { createSystem, type System } from '../../src/app/system.js';
import { createUser } from '../../src/users/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

export interface RecoverySystem {
  system: System;
  sim: RunningSimulator;
  database: TestDatabase;
  /** A user with plenty of credits. */
  userId: string;
  /** A second connection pool to the same database (PostgreSQL), or the same db (PGlite, one connection). */
  secondDb(): Db;
  close(): Promise<void>;
}

let users = 0;

/** The system without HTTP: a test database, the simulator, and Settle's deps. Callbacks go nowhere (none are sent). */
export async function startRecoverySystem(options: { sim?: SimulatorOptions; env?: Record<string, string> } = {}): Promise<RecoverySystem> {
  const database = await createTestDatabase();
  const sim = await startSimulator({ port: 0, seed: 11, durationMs: [100, 200], rateLimit: null, ...options.sim });
  const storageDir = mkdtempSync(join(tmpdir(), 'settle-recovery-'));
  const config = loadConfig({ KIE_BASE_URL: sim.url, DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1', KIE_API_KEY: 'test-key', STORAGE_DIR: storageDir, WORKER_POLL_MIN_MS: '100', WORKER_POLL_MAX_MS: '1000', PROVIDER_RATE_LIMIT: '0', ...options.env });
  const system = await createSystem(config, { db: database.db, logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent') });
  // No webhook receiver runs here: tasks are advanced by the worker and the reconciler only.
  system.tasks.callbackBaseUrl = undefined;
  const { userId } = await createUser(system.db, { email: `recovery${++users}-${process.pid}@example.com`, credits: 1_000_000 });
  const extra: Db[] = [];
  return {
    system,
    sim,
    database,
    userId,
    secondDb() {
      if (!database.url) return database.db;
      const db = openPostgres(database.url, { max: 10 });
      extra.push(db);
      return db;
    },
    async close() {
      await sim.close();
      for (const db of extra) await db.close();
      await database.drop();
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}
