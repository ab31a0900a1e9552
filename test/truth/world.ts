import { readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import { startWorker } from '../../src/recovery/index.js';
import { audit, formatAuditReport } from '../../src/tasks/index.js';
import { startHarness, type Harness, type HarnessOptions } from '../helpers/harness.js';
import { journal } from '../helpers/ledger.js';

/** The tests here drive the KIE image model unless they say otherwise: price 4, 3 attempts. */
export const IMAGE = { type: 'image', model: 'google/nano-banana', input: { prompt: 'a lighthouse at dusk' } } as const;
export const IMAGE_PRICE = 4;

export interface WorldOptions extends HarnessOptions {
  /** Run the background worker beside the API, as `settle serve` does (the harness alone runs none). */
  worker?: boolean;
}

/** The real system over HTTP with the KIE simulator, and optionally its worker. */
export async function startWorld(options: WorldOptions = {}): Promise<Harness> {
  const h = await startHarness(options);
  if (!options.worker) return h;
  const worker = startWorker(h.system.tasks, { concurrency: 4 });
  return {
    ...h,
    async close() {
      await worker.stop();
      await h.close();
    },
  };
}

export interface Row {
  status: string;
  provider_task_id: string | null;
  error_code: string | null;
  asset_keys: string[] | null;
  attempts: number;
}

export async function taskRow(h: Harness, taskId: string): Promise<Row> {
  const { rows } = await h.system.db.query<Row>(
    'SELECT status, provider_task_id, error_code, asset_keys, attempts FROM tasks WHERE id = $1',
    [taskId],
  );
  return rows[0]!;
}

/** Waits until the task reaches a terminal state and returns its row. */
export async function settled(h: Harness, taskId: string, timeoutMs = 30_000): Promise<Row> {
  return waitForRow(h, taskId, (row) => ['completed', 'failed', 'canceled'].includes(row.status), timeoutMs);
}

export async function waitForRow(h: Harness, taskId: string, done: (row: Row) => boolean, timeoutMs = 30_000): Promise<Row> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await taskRow(h, taskId);
    if (done(row)) return row;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms; task ${taskId} is ${JSON.stringify(row)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The provider tasks the simulator created for one of our tasks (createTask calls it accepted). */
export function providerTasksOf(h: Harness, taskId: string): string[] {
  return (h.sim.log().settleTasks[taskId] ?? []).map((a) => a.providerTaskId);
}

/** createTask calls that named our task, answered or not. */
export function createCallsFor(h: Harness, taskId: string) {
  return h.sim.log().calls.filter((c) => c.settleTaskId === taskId);
}

export function downloadsOf(h: Harness, providerTaskId: string): number {
  return h.sim.log().downloadsPerProviderTask[providerTaskId] ?? 0;
}

/** Every file under the storage directory whose name names the task, partial writes included, as keys. */
export function storedFilesOf(h: Harness, taskId: string): string[] {
  const root = h.system.config.storageDir;
  const found: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.includes(taskId)) found.push(relative(root, path).split('\\').join('/'));
    }
  };
  walk(root);
  return found;
}

/**
 * The URLs under which a file of the task could be served: each stored file's key (a partial write under the key it
 * will be renamed to), and the keys older versions derived from the task id alone.
 */
export function wouldBeAssetUrls(h: Harness, taskId: string): string[] {
  const keys = storedFilesOf(h, taskId).map((key) => key.replace(/\.[0-9a-f-]{36}\.partial$/, ''));
  for (const ext of ['png', 'mp4']) keys.push(`assets/${taskId.slice(0, 2)}/${taskId}-0.${ext}`);
  return [...new Set(keys)].map((key) => `${h.url}/${key}`);
}

export async function credits(h: Harness, apiKey: string): Promise<{ balance: number; frozen: number; available: number }> {
  return (await h.api(apiKey, 'GET', '/api/v1/credits')).body;
}

/** The ledger audit with the storage checks (no linked file on an unfinished task, no file nobody links). */
export async function expectAuditClean(h: Harness): Promise<void> {
  const report = await audit(h.system.db, { store: h.system.store });
  expect(report.violations, formatAuditReport(report)).toEqual([]);
}

export const charged = (price = IMAGE_PRICE) => [
  { type: 'freeze', amount: price },
  { type: 'charge', amount: price },
];
export const refunded = (price = IMAGE_PRICE) => [
  { type: 'freeze', amount: price },
  { type: 'unfreeze', amount: price },
];
export { journal };

/** A timed API call: its answer and how long it took. */
export async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await call();
  return { value, ms: performance.now() - started };
}

/** Waits until the wall clock has passed `at` (a deadline the test computed), checking every 100 ms. */
export async function until(at: number): Promise<void> {
  while (Date.now() <= at) await new Promise((r) => setTimeout(r, Math.min(100, at - Date.now() + 1)));
}

export interface Service {
  url: string;
  port: number;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

/** A real HTTP service on loopback that records every request and answers with `respond`. */
export async function startService(respond: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<Service> {
  const requests: Service['requests'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      respond(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
