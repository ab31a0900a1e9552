import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECOVERY_JOBS } from '../../src/recovery/index.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const JOB = 'process-stuck-tasks';
/** Every job but the reconciler is switched off here; the registry says which jobs there are. */
const OTHER_JOBS = RECOVERY_JOBS.filter((job) => job.name !== JOB);

/** `settle schedules` as an operator runs it: the built CLI against its own database (embedded, or PostgreSQL). */
describe('settle schedules list|pause|resume', () => {
  const dir = mkdtempSync(join(tmpdir(), 'settle-cli-schedules-'));
  let server: TestDatabase | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = process.env.TEST_DATABASE_URL ? await createTestDatabase() : undefined;
    env = {
      ...(server ? { DATABASE_URL: server.url! } : { SETTLE_DATA_DIR: dir }),
      STORAGE_DIR: join(dir, 'assets'),
      RECONCILE_CRON: '*/10 * * * *',
      ...Object.fromEntries(OTHER_JOBS.map((job) => [job.schedule.variable, 'off'])),
    };
  });
  afterAll(async () => {
    await server?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const list = async () => {
    const res = await runCli(['schedules', 'list', '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    return JSON.parse(res.stdout).schedules as Record<string, any>[];
  };

  it('list: an aligned table with job, pattern, paused, next run and last run; --json gives the same facts', async () => {
    const res = await runCli(['schedules', 'list'], env);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Job\s+Pattern\s+Paused\s+Next run \(UTC\)\s+Last run \(UTC\)$/);
    const col = (name: string) => lines[0]!.indexOf(name);
    expect(lines).toHaveLength(1 + RECOVERY_JOBS.length);
    for (const line of lines.slice(1)) {
      // Each value starts under its heading.
      expect(line.slice(col('Pattern')).split(/\s{2,}/)[0]).toMatch(/^(\*\/10 \* \* \* \*|off)$/);
      expect(line[col('Paused')]).toBe('n');
    }
    expect(lines[1]).toMatch(/^process-stuck-tasks\s+\*\/10 \* \* \* \*\s+no\s+\d{4}-\d\d-\d\d \d\d:\d0:00\s+-$/);
    for (const [i, job] of OTHER_JOBS.entries()) expect(lines[2 + i]).toMatch(new RegExp(`^${job.name}\\s+off\\s+no\\s+- \\(off here\\)\\s+-$`));

    const json = await list();
    expect(json.map((s) => [s.job, s.pattern, s.paused, s.lastRun])).toEqual([
      [JOB, '*/10 * * * *', false, null],
      ...OTHER_JOBS.map((job) => [job.name, 'off', false, null]),
    ]);
    expect(new Date(json[0]!.nextRun).getUTCMinutes() % 10).toBe(0);
    expect(Date.parse(json[0]!.nextRun)).toBeGreaterThan(Date.now() - 1000);
  });

  it('pause and resume change the state (with who and why); repeating one is a no-op with exit 0', async () => {
    const paused = await runCli(['schedules', 'pause', JOB, '--reason', 'provider outage'], env);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout.trim()).toBe(`${JOB} is paused on every instance: no scheduled tick runs it until it is resumed`);

    const table = await runCli(['schedules', 'list'], env);
    expect(table.stdout).toMatch(/process-stuck-tasks\s+\*\/10 \* \* \* \*\s+yes, 0 ticks skipped\s+- \(paused\)\s+-/);
    expect(table.stdout).toMatch(/process-stuck-tasks: paused at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC by .+@.+ \(CLI\): provider outage/);
    const [state] = await list();
    expect(state).toMatchObject({ paused: true, reason: 'provider outage', nextRun: null });
    expect(state!.pausedBy).toMatch(/ \(CLI\)$/);

    const again = await runCli(['schedules', 'pause', JOB, '--reason', 'another', '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, schedule: { paused: true, reason: 'provider outage', pausedAt: state!.pausedAt } });

    const resumed = await runCli(['schedules', 'resume', JOB, '--json'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const body = JSON.parse(resumed.stdout);
    expect(body).toMatchObject({ changed: true, schedule: { job: JOB, paused: false, pausedAt: null, reason: null } });
    expect(body.message).toMatch(/^process-stuck-tasks is resumed: the next tick \(.+\) runs it$/);
    expect(body.schedule.nextRun).not.toBeNull();

    const twice = await runCli(['schedules', 'resume', JOB], env);
    expect(twice.code).toBe(0);
    expect(twice.stdout.trim()).toBe(`${JOB} was already running on its schedule; nothing changed`);
  }, 120_000);

  /** What a pause or resume would change: the list without its next run, which moves with the clock. */
  const stored = async () => (await list()).map(({ nextRun: _moves, ...state }) => state);

  it('an unknown job: a clear message naming the jobs, exit 1, nothing changed', async () => {
    const before = await stored();
    for (const verb of ['pause', 'resume']) {
      const res = await runCli(['schedules', verb, 'process-stuck-task'], env);
      expect(res.code).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr.trim()).toBe(`settle: No scheduled job named "process-stuck-task"; the jobs are ${RECOVERY_JOBS.map((job) => job.name).join(', ')}`);
    }
    expect(await stored()).toEqual(before);
    const missing = await runCli(['schedules', 'pause'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'job'");
  }, 120_000);
});
