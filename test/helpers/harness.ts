import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { startServer, type RunningServer } from '../../src/http/index.js';
import { createLogger } from '../../src/log/index.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/simulators/index.js';
import { createSystem, type System } from '../../src/app/system.js';
import { createUser, type CreatedUser } from '../../src/users/index.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { freePort } from './net.js';

export interface Harness {
  system: System;
  server: RunningServer;
  sim: RunningSimulator;
  database: TestDatabase;
  url: string;
  user(credits?: number, role?: 'user' | 'admin'): Promise<CreatedUser>;
  api(key: string | undefined, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  body: any;
  headers: Headers;
}

export interface HarnessOptions {
  sim?: SimulatorOptions;
  env?: Record<string, string>;
  /** KIE base URL override, e.g. a port where nothing listens. */
  providerUrl?: string;
}

let userCounter = 0;

/** The real system over HTTP on loopback: a test database, the KIE simulator and the API server. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const database = await createTestDatabase();
  const sim = await startSimulator({ port: 0, seed: 7, durationMs: [150, 300], rateLimit: null, ...options.sim });
  const storageDir = mkdtempSync(join(tmpdir(), 'settle-assets-'));
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    KIE_BASE_URL: options.providerUrl ?? sim.url,
    KIE_API_KEY: 'test-key',
    STORAGE_DIR: storageDir,
    WORKER_POLL_MIN_MS: '100',
    WORKER_POLL_MAX_MS: '1000',
    SUBMIT_RATE_LIMIT_PER_MINUTE: '100000',
    PROVIDER_RATE_LIMIT: '0',
    DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1',
    ...options.env,
  });
  const system = await createSystem(config, { db: database.db, logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent') });
  const server = await startServer(system, port, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  return {
    system,
    server,
    sim,
    database,
    url,
    user: (credits = 1000, role = 'user') =>
      createUser(system.db, { email: `user${++userCounter}-${process.pid}@example.com`, credits, role }),
    api: (key, method, path, body, headers = {}) => callApi(url, key, method, path, body, headers),
    async close() {
      await server.close();
      await sim.close();
      await database.drop();
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

async function callApi(base: string, key: string | undefined, method: string, path: string, body: unknown, headers: Record<string, string>): Promise<ApiResponse> {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(key && { authorization: `Bearer ${key}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
