import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { CLI_PATH } from '../helpers/cli.js';
import { expectAuditClean, journal } from '../helpers/ledger.js';
import { freePort, waitFor } from '../helpers/net.js';

const IMAGE = { type: 'image', model: 'google/nano-banana', input: { prompt: 'an orphan' } };

async function onlyTaskOf(h: Harness, userId: string) {
  const { rows } = await h.system.db.query<{ id: string; status: string; attempts: number }>('SELECT id, status, attempts FROM tasks WHERE user_id = $1', [userId]);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

describe('orphan adoption: the provider accepted, the id was never recorded', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ sim: { durationMs: [300, 500] } });
  });
  afterAll(() => h.close());

  it('the callback adopts the provider task instead of a second submission (in-process)', async () => {
    const { apiKey, userId } = await h.user(100);
    h.sim.setFaults({ transientErrorRate: 1 });
    const res = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    h.sim.setFaults({ transientErrorRate: 0 });
    expect(res.body.status).toBe('pending');
    const before = h.sim.stats().submissions;
    // What the lost dispatch had sent: the provider holds the task and will call back with our task id.
    const created = await fetch(`${h.sim.url}/api/v1/jobs/createTask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-key' },
      body: JSON.stringify({ model: IMAGE.model, input: IMAGE.input, callBackUrl: `${h.url}/api/webhooks/kie?task=${res.body.taskId}` }),
    }).then((r) => r.json());
    expect(created.code).toBe(200);
    await waitFor('the adopted task to complete', async () => (await onlyTaskOf(h, userId)).status === 'completed');
    expect(h.sim.stats().submissions - before).toBe(1);
    expect(await journal(h.system.db, res.body.taskId)).toEqual([
      { type: 'freeze', amount: 4 },
      { type: 'charge', amount: 4 },
    ]);
    await expectAuditClean(h.system.db);
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)('a real kill -9 right after the provider accepted: adopted, one submission, one charge (needs TEST_DATABASE_URL: two processes share one database)', async () => {
    const { apiKey, userId } = await h.user(100);
    const port = await freePort();
    const proxy = await killingProxy(h.sim.url, () => child.kill('SIGKILL'));
    const child = spawn(process.execPath, [CLI_PATH, 'serve', '--port', String(port)], {
      env: {
        PATH: process.env.PATH, DATABASE_URL: h.database.url, KIE_BASE_URL: proxy.url, DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1', KIE_API_KEY: 'test-key',
        PUBLIC_URL: h.url, HOST: '127.0.0.1', LOG_LEVEL: 'warn', STUCK_AFTER_MINUTES: '60', PENDING_STUCK_MINUTES: '60',
      },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await waitFor('the child server', () => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false), 20_000);
      const before = h.sim.stats().submissions;
      await fetch(`http://127.0.0.1:${port}/api/v1/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(IMAGE),
      }).catch(() => undefined);
      await exited;
      await waitFor('the adopted task to complete', async () => (await onlyTaskOf(h, userId)).status === 'completed');
      const task = await onlyTaskOf(h, userId);
      expect(task.attempts).toBe(1);
      expect(h.sim.stats().submissions - before).toBe(1);
      expect(await journal(h.system.db, task.id)).toEqual([
        { type: 'freeze', amount: 4 },
        { type: 'charge', amount: 4 },
      ]);
      await expectAuditClean(h.system.db);
    } finally {
      child.kill('SIGKILL');
      await new Promise<void>((resolve) => proxy.server.close(() => resolve()));
    }
  });
});

/** Forwards createTask to the simulator and, once the simulator has accepted, kills the caller before it hears back. */
async function killingProxy(target: string, kill: () => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', async () => {
      const answer = await fetch(target + req.url, { method: req.method, headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' }, body: body || undefined });
      const text = await answer.text();
      if (req.url?.startsWith('/api/v1/jobs/createTask')) kill();
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, server };
}
