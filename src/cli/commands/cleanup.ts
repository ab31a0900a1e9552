import type { Command } from 'commander';
import { JobAlreadyRunningError, type JobRun } from '../../jobs/index.js';
import { cleanupJobs, type CleanupResult } from '../../recovery/index.js';
import { action, CliError, parsePositiveInt, printJson, withSystem } from '../context.js';
import { withProgressBar } from '../progressBar.js';
import { formatAge, plainTable, renderTable } from './stuck.js';

export function registerCleanupCommand(program: Command): void {
  program
    .command('cleanup')
    .description('fail and refund tasks processing past their timeout; exits 1 if the run or any task failed')
    .option('--timeout-ms <n>', 'timeout for every task (default $CLEANUP_TIMEOUT_MS, else each model\'s own)')
    .option('--batch-size <n>', 'at most this many tasks (default $CLEANUP_BATCH_SIZE or 100)')
    .option('--dry-run', 'report what would be cleaned up; change nothing')
    .option('--json', 'machine output')
    .action(action(async (opts: { timeoutMs?: string; batchSize?: string; dryRun?: boolean; json?: boolean }) => {
      const timeoutMs = opts.timeoutMs === undefined ? undefined : parsePositiveInt(opts.timeoutMs, '--timeout-ms');
      const batchSize = opts.batchSize === undefined ? undefined : parsePositiveInt(opts.batchSize, '--batch-size');
      const run = (await withSystem((s) =>
        withProgressBar('Cleaning up', (progress) => s.runJob(cleanupJobs.name, 'cli', { overrides: { timeoutMs, batchSize, dryRun: opts.dryRun }, progress })),
      ).catch(alreadyRunning)) as JobRun<CleanupResult>;
      if (opts.json) printJson(run);
      else printCleanup(run);
      return run.status === 'completed' && run.results!.failed === 0 ? 0 : 1;
    }));
}

/** Another run of the job is in progress (here or on another instance): say so, exit 1. */
export function alreadyRunning(err: unknown): never {
  if (err instanceof JobAlreadyRunningError) throw new CliError(`${err.message}; try again when it has finished`, 1);
  throw err;
}

function printCleanup(run: JobRun<CleanupResult>): void {
  if (run.status === 'failed') return void console.log(`Cleanup failed: ${run.error} (execution ${run.executionId})`);
  const r = run.results!;
  if (r.jobs.length > 0) {
    const table = plainTable(['ID', 'Model', 'Stuck for', 'Result', 'Refunded', 'Note']);
    for (const job of r.jobs) {
      table.push([job.taskId, job.model, formatAge(job.stuckForMs).replace(' ago', ''), job.status, String(job.creditsRefunded), job.reason ?? '']);
    }
    console.log(renderTable(table));
    for (const e of r.errors) console.log(`✗ ${e.taskId}: ${e.error}`);
    console.log('');
  }
  const timeout = r.timeoutMs === null ? "each model's timeout" : `${r.timeoutMs} ms`;
  console.log(`${cleanupJobs.describe(r)}, timeout ${timeout}, in ${run.durationMs} ms.`);
  if (run.executionId) console.log(`Recorded as execution ${run.executionId}.`);
}
