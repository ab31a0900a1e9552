import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { usingPooler } from '../helpers/db.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
}

/** `tsx chaos/run.ts` as CI runs it, on the suite's PostgreSQL server (it makes and drops its own database there). */
function chaos(args: string[]): Promise<Run> {
  const { DATABASE_URL: _ignored, ...env } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'chaos/run.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

/** The "Chaos run figures" block: `  <name> <number>` lines. */
function figuresOf(stdout: string): Record<string, number> {
  const block = stdout.slice(stdout.indexOf('\nChaos run figures\n'));
  return Object.fromEntries([...block.matchAll(/^ {2}(\S.*?)\s+(-?\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

// The chaos run needs a PostgreSQL server of its own to create a database on; through the pooler it would only repeat
// the direct run. No PostgreSQL restart here: other test files share the server.
describe.runIf(Boolean(process.env.TEST_DATABASE_URL) && !usingPooler())('npm run chaos -- --mode hostile', () => {
  it('keeps every invariant through 15 s of a hostile provider, SIGKILLs and top-ups, and counts each at 0', { timeout: 900_000 }, async () => {
    const run = await chaos(['--duration', '15', '--mode', 'hostile', '--seed', '2026', '--no-pg-restart']);
    expect(run.code, run.stdout.slice(-4000)).toBe(0);
    expect(run.stdout).toContain('PASSED: no violations (seed 2026)');

    const figures = figuresOf(run.stdout);
    expect(figures).toMatchObject({
      'invariant: provider tasks beyond one per attempt': 0,
      'invariant: files served for a task not completed': 0,
      'invariant: tasks settled past deadline + cleanup tick': 0,
      'frozen credits left': 0,
      'double charges': 0,
      'lost tasks': 0,
    });
    // The invariants were exercised, not vacuously true: tasks reached the provider, files were asked for, credits were
    // topped up during the load, and a burst overspent into a 402.
    expect(figures['provider tasks created (at the simulator)']).toBeGreaterThan(0);
    expect(figures['asset requests probed']).toBeGreaterThan(0);
    expect(figures['credits topped up']).toBeGreaterThan(0);
    expect(figures['refused 402']).toBeGreaterThan(0);
    expect(figures['settled per minute during the load (mean)']).toBeGreaterThan(0);
  });
});
