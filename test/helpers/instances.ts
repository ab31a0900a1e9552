import { loadConfig } from '../../src/config/index.js';
import type { Db } from '../../src/db/index.js';
import { startServer } from '../../src/http/index.js';
import { createLogger } from '../../src/log/index.js';
import { createSystem } from '../../src/app/system.js';
import type { Harness } from './harness.js';
import { freePort } from './net.js';

export interface Instance {
  url: string;
  close(): Promise<void>;
}

/**
 * Another API process on the harness's database, provider and storage: a second instance behind the same load
 * balancer, or the same instance after a restart (nothing in memory carries over). Closing it leaves the database
 * open for the harness. `db` may be another connection pool on the same database: a process of its own, with its own
 * in-memory caches.
 */
export async function startInstance(h: Harness, env: Record<string, string> = {}, db: Db = h.system.db): Promise<Instance> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: url,
    KIE_BASE_URL: h.sim.url,
    KIE_API_KEY: 'test-key',
    STORAGE_DIR: h.system.config.storageDir,
    ...env,
  });
  const system = await createSystem(config, { db, logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent') });
  const server = await startServer(system, port, '127.0.0.1');
  return { url, close: () => server.close() };
}
