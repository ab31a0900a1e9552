import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.js';
import { startServer, type RunningServer } from '../src/http/index.js';
import { createLogger } from '../src/log/index.js';
import { createSystem, type System } from '../src/app/system.js';
import type { BenchDatabase } from './benchDatabase.js';
import { freePort } from '../test/helpers/net.js';
import { startSettle, type RunningProcess } from './processes.js';

/**
 * Settle's environment for a bench: the simulator as provider, limits meant for abuse (submission rate, provider
 * rate) lifted so that they do not cap the figure, and quiet logs. `extra` comes last and wins.
 */
export function settleEnv(simUrl: string, port: number, storageDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    KIE_BASE_URL: simUrl, DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1',
    KIE_API_KEY: 'bench',
    STORAGE_DIR: storageDir,
    SUBMIT_RATE_LIMIT_PER_MINUTE: '100000000',
    PROVIDER_RATE_LIMIT: '0',
    LOG_LEVEL: 'warn',
    SESSION_SECRET: randomBytes(24).toString('hex'),
    ...extra,
  };
}

export interface InProcessSettle {
  system: System;
  /** Where its result files go (memory falls back to disk without a tmpfs). */
  assets: AssetPlace;
  /** Set when started with serve: the API on loopback. */
  server?: RunningServer;
  close(): Promise<void>;
}

/** Where result files go: on the project's disk, or in memory (tmpfs). */
export type AssetPlace = 'disk' | 'memory';

const TMPFS = '/dev/shm';

/**
 * A fresh directory for result files. `disk`: under `./.settle`, where Settle keeps them by default (STORAGE_DIR).
 * `memory`: under /dev/shm, where the disk's recent history cannot sway the figure (on this VM's ext4 a file's
 * cost swings threefold with what was written and deleted before); disk where there is no /dev/shm.
 */
export function benchStorageDir(place: AssetPlace): { dir: string; place: AssetPlace } {
  const inMemory = place === 'memory' && existsSync(TMPFS);
  const parent = inMemory ? join(TMPFS, 'settle-bench') : fileURLToPath(new URL('../.settle/', import.meta.url));
  mkdirSync(parent, { recursive: true });
  return { dir: mkdtempSync(join(parent, 'bench-assets-')), place: inMemory ? 'memory' : 'disk' };
}

/**
 * Settle inside this process, for sections whose driver is light (no load generator). It opens the database as
 * `settle serve` would (its own pool size), from the same environment.
 */
export async function startInProcess(
  database: BenchDatabase,
  simUrl: string,
  extra: Record<string, string>,
  options: { serve: boolean; assets?: AssetPlace },
): Promise<InProcessSettle> {
  const { dir: storageDir, place } = benchStorageDir(options.assets ?? 'disk');
  const port = await freePort();
  const config = loadConfig({ ...database.env, ...settleEnv(simUrl, port, storageDir, extra) });
  const system = await createSystem(config, { logger: createLogger('warn', process.stderr) });
  const server = options.serve ? await startServer(system, port, '127.0.0.1') : undefined;
  return {
    system,
    assets: place,
    server,
    async close() {
      await server?.close();
      await system.close();
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

/**
 * `settle serve` (API, worker, schedules) in its own process, as deployed: the load generator stays out of its
 * event loop. With cpuProfDir, it writes a V8 CPU profile there when it exits.
 */
export async function startServeProcess(database: BenchDatabase, simUrl: string, extra: Record<string, string>, cpuProfDir?: string): Promise<RunningProcess> {
  const { dir: storageDir } = benchStorageDir('disk');
  const port = await freePort();
  const profile = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const serve = await startSettle(['serve'], { ...database.env, ...settleEnv(simUrl, port, storageDir, extra) }, port, '/readyz', profile);
  return {
    ...serve,
    async stop() {
      await serve.stop();
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}
