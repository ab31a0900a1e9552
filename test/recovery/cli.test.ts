import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/index.js';
import { startSimulator, type RunningSimulator } from '../../src/simulators/index.js';
import { createSystem } from '../../src/app/system.js';
import type { TaskRow } from '../../src/tasks/index.js';
import { createUser } from '../../src/users/index.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { age, submitVideo } from './helpers.js';

const EMAIL = 'stuck-owner@example.com';

/** The recovery commands' output, run as an operator would: the built `settle` against its own database. */
describe('settle stuck, retry, reconcile, cleanup, executions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'settle-cli-recovery-'));
  let sim: RunningSimulator;
  let server: TestDatabase | undefined;
  let env: Record<string, string>;
  let stale: TaskRow[];
  let recent: TaskRow;
  let processing: TaskRow;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, seed: 5, durationMs: [100, 200], rateLimit: null, hangRate: 1, lostCallbackRate: 1 });
    server = process.env.TEST_DATABASE_URL ? await createTestDatabase() : undefined;
    env = {
      ...(server ? { DATABASE_URL: server.url! } : { SETTLE_DATA_DIR: dir }),
      KIE_BASE_URL: sim.url, DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1',
      KIE_API_KEY: 'test-key',
      STORAGE_DIR: join(dir, 'assets'),
    };
    // Seed through the real system, then close it: an embedded database has one process at a time.
    const system = await createSystem(loadConfig(env), { db: server?.db, logger: createLogger('silent') });
    system.tasks.callbackBaseUrl = undefined;
    try {
      const { userId } = await createUser(system.db, { email: EMAIL, credits: 1000 });
      sim.setFaults({ transientErrorRate: 1 }); // the provider refuses the dispatch: the tasks stay pending
      stale = [await submitVideo(system.tasks, userId), await submitVideo(system.tasks, userId)];
      recent = await submitVideo(system.tasks, userId);
      sim.setFaults({ transientErrorRate: 0 });
      processing = await submitVideo(system.tasks, userId);
      for (const t of [...stale, recent]) await age(system.db, t.id, { createdMinutes: 15 });
      await system.db.query(`UPDATE tasks SET dispatch_started_at = now() - interval '1 minute' WHERE id = $1`, [recent.id]);
      await age(system.db, processing.id, { processingMinutes: 45 });
    } finally {
      if (!server) await system.close();
    }
  }, 60_000);
  afterAll(async () => {
    await sim.close();
    await server?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('settle stuck prints an aligned table (ID, Model, Status, Age, User), a summary and the retry hint', async () => {
    const res = await runCli(['stuck'], env);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+Model\s+Status\s+Age\s+User$/);
    const columns = ['Model', 'Status', 'Age', 'User'].map((c) => lines[0]!.indexOf(c));
    const rows = lines.slice(1, 5);
    expect(rows.map((row) => row.slice(0, 36)).sort()).toEqual([...stale, recent, processing].map((t) => t.id).sort());
    for (const row of rows) {
      // Every value starts under its heading.
      for (const at of columns) expect(row[at - 1], row).toBe(' ');
      expect(row.slice(columns[0]!)).toMatch(/^sora-2-text-to-video\s+(pending|processing)\s+\d+m ago\s+stuck-owner@example\.com$/);
    }
    expect(rows.find((row) => row.startsWith(processing.id))).toMatch(/processing\s+45m ago/);
    expect(rows.find((row) => row.startsWith(recent.id))).toMatch(/pending\s+15m ago/);
    expect(lines.at(-2)).toBe('4 stuck tasks (pending or processing for over 10 minutes).');
    expect(lines.at(-1)).toBe('To retry these tasks, run: settle retry');

    const json = await runCli(['stuck', '--json'], env);
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({ ageMinutes: 10, total: 4 });
    expect(parsed.tasks.find((t: { taskId: string }) => t.taskId === processing.id)).toMatchObject({ age: '45m ago', email: EMAIL, status: 'processing' });
    expect(parsed.nextCursor).toBeNull();

    const first = JSON.parse((await runCli(['stuck', '--limit', '3', '--json'], env)).stdout);
    const rest = JSON.parse((await runCli(['stuck', '--limit', '3', '--cursor', first.nextCursor, '--json'], env)).stdout);
    expect(rest.nextCursor).toBeNull();
    expect([...first.tasks, ...rest.tasks].map((t: { taskId: string }) => t.taskId)).toEqual(parsed.tasks.map((t: { taskId: string }) => t.taskId));
    const paged = (await runCli(['stuck', '--limit', '3'], env)).stdout.trimEnd().split('\n');
    expect(paged.slice(-3)).toEqual([
      'Showing 3 of 4 stuck tasks (pending or processing for over 10 minutes).',
      `More: settle stuck --age-minutes 10 --limit 3 --cursor ${first.nextCursor}`,
      'To retry these tasks, run: settle retry',
    ]);
  });

  it('settle retry --dry-run prints one line per task and the RETRY SUMMARY, sending nothing', async () => {
    const res = await runCli(['retry', '--dry-run'], env);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    for (const t of stale) expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^✓ dispatched ${t.id} \\(dry run: not sent; sora-2-text-to-video, created 15m ago\\)$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^✗ Skipping ${recent.id}: sent \\d+s ago without an answer; in doubt for 600 s before it is sent again \\(DISPATCH_DOUBT_MS\\)$`)));
    expect(lines.slice(-5)).toEqual(['RETRY SUMMARY (dry run)', '  Found:      3', '  Triggered:  2', '  Skipped:    1', '  Failed:     0']);
    expect(sim.stats().submissions).toBe(1); // only the processing task's; the dry run sent nothing

    // The dry run left the same three to the real retry, which dispatches the two stale ones.
    const real = await runCli(['retry'], env);
    expect(real.code, real.stderr).toBe(0);
    for (const t of stale) expect(real.stdout).toMatch(new RegExp(`✓ dispatched ${t.id} → processing`));
    expect(real.stdout).toContain('  Found:      3\n  Triggered:  2\n  Skipped:    1\n  Failed:     0');
    expect(sim.stats().submissions).toBe(3);
  });

  it('settle retry --video-id (seed 003\'s flag) is --task-id by another name', async () => {
    const byVideoId = await runCli(['retry', '--dry-run', '--video-id', processing.id, '--json'], env);
    const byTaskId = await runCli(['retry', '--dry-run', '--task-id', processing.id, '--json'], env);
    expect(byVideoId.code, byVideoId.stderr).toBe(0);
    expect(JSON.parse(byVideoId.stdout)).toMatchObject({ dryRun: true, found: 1, result: { taskId: processing.id } });
    expect(JSON.parse(byVideoId.stdout)).toEqual(JSON.parse(byTaskId.stdout));
  });

  it('--json prints valid JSON only, for reconcile, cleanup and executions', async () => {
    const cleanup = await runCli(['cleanup', '--dry-run', '--timeout-ms', '60000', '--json'], env);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect(JSON.parse(cleanup.stdout)).toMatchObject({ executionId: null, dryRun: true, results: { dryRun: true, timeoutMs: 60_000, totalFound: 1, cleanedUp: 1 } });
    const text = await runCli(['reconcile', '--dry-run'], env);
    expect(text.stdout).toMatch(/Dry run: found 2 stuck tasks: .* skipped \(\d+ ms, 1 batch\)\./);
    const run = await runCli(['reconcile', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const reconciled = JSON.parse(run.stdout);
    expect(reconciled).toMatchObject({ status: 'completed', trigger: 'cli', executionId: expect.any(String), results: { totalFound: 2 } });
    const history = await runCli(['executions', '--json'], env);
    const parsed = JSON.parse(history.stdout);
    expect(parsed.executions.map((e: { id: string }) => e.id)).toEqual([reconciled.executionId]);
    expect(parsed.stats).toMatchObject({ totalExecutions: 1, successRate: 1 });

    const again = JSON.parse((await runCli(['reconcile', '--json'], env)).stdout);
    const first = JSON.parse((await runCli(['executions', '--limit', '1', '--json'], env)).stdout);
    expect(first.executions.map((e: { id: string }) => e.id)).toEqual([again.executionId]);
    const second = JSON.parse((await runCli(['executions', '--limit', '1', '--cursor', first.nextCursor, '--json'], env)).stdout);
    expect(second).toMatchObject({ executions: [{ id: reconciled.executionId }], nextCursor: null });
    expect((await runCli(['executions', '--limit', '1'], env)).stdout).toContain(`More: settle executions --cursor ${first.nextCursor}`);
  });

  it('bad flags: one clear line on stderr, exit 2, nothing run', async () => {
    const cases = [['stuck', '--age-minutes', 'soon'], ['retry', '--task-id', '42'], ['cleanup', '--batch-size', '0'], ['executions', '--limit', '0'], ['executions', '--cursor', 'nope']];
    const results = await Promise.all(cases.map((args) => runCli(args, env)));
    for (const [i, res] of results.entries()) {
      expect(res.code, cases[i]!.join(' ')).toBe(2);
      expect(res.stdout).toBe('');
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).toMatch(/^settle: --/);
    }
  });
});
