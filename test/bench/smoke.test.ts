import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SECTION_NAMES } from '../../bench/options.js';
import type { BenchReport } from '../../bench/report.js';
import { usingPostgres } from '../helpers/db.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'settle-bench-smoke-'));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `tsx bench/run.ts` as CI runs it, on the suite's database: TEST_DATABASE_URL when set, else PGlite. */
const bench = (args: string[]): Promise<Run> => benchScript('bench/run.ts', args);

function benchScript(script: string, args: string[]): Promise<Run> {
  const { DATABASE_URL: _ignored, TEST_DATABASE_URL, ...env } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: ROOT,
      env: { ...env, ...(TEST_DATABASE_URL && { DATABASE_URL: TEST_DATABASE_URL }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('npm run bench --smoke', () => {
  it('measures every section with positive, finite figures, and writes the machine and the table', { timeout: 300_000 }, async () => {
    const out = join(outDir, 'smoke.json');
    const run = await bench(['--smoke', '--history', '300', '--out', out]);
    expect(run.code, run.stderr).toBe(0);

    const report = JSON.parse(readFileSync(out, 'utf8')) as BenchReport;
    expect(report.sections.map((s) => s.name)).toEqual([...SECTION_NAMES]);
    for (const section of report.sections) {
      if ((section.name === 'pg-boss' || section.name === 'prune') && !usingPostgres()) {
        expect(section.skipped).toMatch(/PostgreSQL/);
        continue;
      }
      expect(section.skipped, section.name).toBeUndefined();
      const figures = Object.entries(section.figures);
      expect(figures.length, section.name).toBeGreaterThan(0);
      for (const [label, value] of figures) {
        // CPU time is read in 10 ms clock ticks: one process may register none in a smoke-sized run.
        const least = label.startsWith('CPU ms/op ') ? 0 : Number.MIN_VALUE;
        expect(Number.isFinite(value) && value >= least, `${section.name}: ${JSON.stringify(section.figures)}`).toBe(true);
      }
    }
    expect(report.ratios.map((r) => r.label)).toContain('settle ÷ node ceiling');
    if (usingPostgres()) expect(report.ratios.map((r) => r.label)).toContain('settle ÷ pg-boss');
    if (usingPostgres() && existsSync('/usr/bin/pgbench')) expect(report.ratios.map((r) => r.label)).toContain('submit ÷ pgbench');
    for (const ratio of report.ratios) expect(Number.isFinite(ratio.value) && ratio.value > 0, ratio.label).toBe(true);

    const { machine } = report;
    expect(machine.cores).toBeGreaterThan(0);
    expect(machine.memoryGiB).toBeGreaterThan(0);
    expect(machine.loadAverage).toBeGreaterThanOrEqual(0);
    expect(machine.node).toBe(process.version);
    expect(machine.cpu.length).toBeGreaterThan(0);
    expect(machine.database).toMatch(usingPostgres() ? /^PostgreSQL \d+/ : /^PGlite \d+\.\d+/);
    expect(machine.commit).toMatch(/^[0-9a-f]{7,}/);
    expect(report.database).toMatch(usingPostgres() ? /^PostgreSQL at / : /^embedded PGlite/);

    expect(run.stdout).toContain('| section | measured | figures | target | result |');
    for (const name of SECTION_NAMES) expect(run.stdout).toContain(`| ${name} |`);
    expect(run.stdout).toContain(`${machine.cores} × ${machine.cpu}`);
    expect(existsSync(join(outDir, 'smoke.md'))).toBe(true);
  });

  it('refuses an unknown section with the usage and measures nothing', async () => {
    const out = join(outDir, 'refused.json');
    const run = await bench(['--only', 'submit,warp-drive', '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown section warp-drive');
    expect(run.stderr).toContain('usage: tsx bench/run.ts');
    expect(existsSync(out)).toBe(false);
  });
});

describe('npm run bench:explain', () => {
  const STATEMENTS = [
    'claimDueTasks (worker)',
    'findStuckTasks (reconciler, first page)',
    'findStuckTasks (reconciler, next page)',
    'claimStuckTasks (reconciler)',
    'recordIngestKeys (ingest, one task)',
    'markCompletedMany (settlement)',
    'captureHolds (settlement)',
    'insertTasks (submission)',
    'recordDispatches (submission)',
  ];

  it('explains every hot statement, and a reconciler page is an ordered index scan, never a sort of every stuck task', { timeout: 120_000 }, async () => {
    const run = await benchScript('bench/explain.ts', ['--finished', '2000', '--stuck', '3000']);
    expect(run.code, run.stderr).toBe(0);
    const plans = new Map(run.stdout.split('\n## ').slice(1).map((part) => [part.slice(0, part.indexOf('\n')), part]));
    expect([...plans.keys()]).toEqual(STATEMENTS);
    for (const [name, plan] of plans) expect(plan, name).toMatch(/Execution Time: [\d.]+ ms/);
    // What one settlement writes, with and without round 2's trigger and indexes: WAL from every variant.
    const costs = run.stdout.slice(run.stdout.indexOf('# Write cost of one settlement')).split('\n').filter((l) => /^\| (as migrated|without)/.test(l));
    expect(costs).toHaveLength(3);
    for (const line of costs) expect(Number(line.split('|')[6]), line).toBeGreaterThan(0);
    for (const page of STATEMENTS.slice(1, 3)) {
      expect(plans.get(page)).toContain('Index Scan using tasks_active_idx');
      expect(plans.get(page)).not.toMatch(/\bSort\b/);
    }
  });
});
