import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystem } from '../../src/app/system.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/index.js';
import { startSimulator, type RunningSimulator } from '../../src/simulators/index.js';
import { createUser } from '../../src/users/index.js';
import { CLI_PATH, runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/net.js';
import { age, submitVideo } from '../recovery/helpers.js';

const TASKS = 30;
const BAR = /Reconciling \[[█░]+\] (\d+)\/(\d+) tasks/;

/**
 * Whether tmux (the pseudo-terminal these tests read the screen of) is here. Without it they are skipped with the
 * reason printed, unless REQUIRE_TMUX=1 (CI), where a missing tmux is a failure.
 */
function tmuxPresent(): boolean {
  if (spawnSync('tmux', ['-V']).status === 0) return true;
  if (process.env.REQUIRE_TMUX === '1') throw new Error('tmux not found, and REQUIRE_TMUX=1 requires the terminal tests to run');
  console.warn('tmux not found: the progress bar tests are skipped (install the tmux package)');
  return false;
}

const shellQuote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * DESIGN section 7: long CLI runs show progress on stderr when it is a terminal. 30 stuck tasks whose provider
 * finished them, each result downloaded with a 100 ms delay one task at a time, make a `settle reconcile` of 3 s or
 * more: long enough to watch the bar move in a real terminal (tmux), read off its screen.
 */
describe.runIf(tmuxPresent())('settle reconcile progress bar', () => {
  const dir = mkdtempSync(join(tmpdir(), 'settle-progress-'));
  const socket = `settle-progress-${process.pid}`;
  let sim: RunningSimulator;
  let server: TestDatabase | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, seed: 11, durationMs: [0, 0], rateLimit: null, lostCallbackRate: 1 });
    server = process.env.TEST_DATABASE_URL ? await createTestDatabase() : undefined;
    env = {
      ...(server ? { DATABASE_URL: server.url! } : { SETTLE_DATA_DIR: join(dir, 'data') }),
      KIE_BASE_URL: sim.url,
      KIE_API_KEY: 'test-key',
      DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1',
      STORAGE_DIR: join(dir, 'assets'),
      RECONCILE_CONCURRENCY: '1',
      PROVIDER_RATE_LIMIT: '0',
    };
    // Seeded through the real system, then closed: an embedded database has one process at a time.
    const system = await createSystem(loadConfig(env), { db: server?.db, logger: createLogger('silent') });
    system.tasks.callbackBaseUrl = undefined;
    try {
      const { userId } = await createUser(system.db, { email: 'progress@example.com', credits: 100_000 });
      for (let i = 0; i < TASKS; i++) await age(system.db, (await submitVideo(system.tasks, userId)).id, { processingMinutes: 45 });
    } finally {
      if (!server) await system.close();
    }
    sim.setFaults({ downloadDelayMs: 100 });
  }, 120_000);

  afterAll(async () => {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    await sim.close();
    await server?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('piped, the same run prints no control characters', async () => {
    const piped = await runCli(['reconcile', '--dry-run'], env);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toContain(`Dry run: found ${TASKS} stuck tasks: ${TASKS} completed`);
    expect(piped.stdout + piped.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  }, 60_000);

  it('on a terminal, a bar moves from task to task and is gone when the run ends', async () => {
    const script = join(dir, 'reconcile.sh');
    const exports = Object.entries({ PATH: process.env.PATH!, ...env }).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
    writeFileSync(script, [...exports, `${shellQuote(process.execPath)} ${shellQuote(CLI_PATH)} reconcile`, 'echo "exit=$?"', 'sleep 600', ''].join('\n'));
    execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-s', 'reconcile', '-x', '150', '-y', '40', `bash ${shellQuote(script)}`]);

    const seen = new Set<number>();
    const screen = await waitFor(
      'the reconcile run to end in the terminal',
      async () => {
        const text = execFileSync('tmux', ['-L', socket, 'capture-pane', '-p', '-t', 'reconcile'], { encoding: 'utf8' });
        const bar = BAR.exec(text);
        if (bar) {
          expect(Number(bar[2])).toBe(TASKS);
          seen.add(Number(bar[1]));
        }
        return text.includes('exit=') ? text : undefined;
      },
      120_000,
      50,
    );
    expect(screen).toContain('exit=0');
    expect(screen).toContain(`Processed ${TASKS} stuck tasks: ${TASKS} completed`);
    expect(screen, 'the bar is cleared when the run ends').not.toMatch(BAR);
    expect([...seen].length, `progress values seen: ${[...seen].join(', ')}`).toBeGreaterThanOrEqual(3);
    expect(Math.max(...seen)).toBeGreaterThan(Math.min(...seen));
  }, 180_000);
});
