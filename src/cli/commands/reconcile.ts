import type { Command } from 'commander';
import type { JobRun } from '../../jobs/index.js';
import { processStuckTasks, type ReconcileResult } from '../../recovery/index.js';
import { action, parsePositiveInt, printJson, withSystem } from '../context.js';
import { withProgressBar } from '../progressBar.js';
import { alreadyRunning } from './cleanup.js';
import { plainTable, renderTable } from './stuck.js';

export function registerReconcileCommand(program: Command): void {
  program
    .command('reconcile')
    .description('process stuck tasks now (what the scheduled reconciler does); exits 1 if the run failed')
    .option('--batch-size <n>', 'at most this many stuck tasks (default $BATCH_SIZE)')
    .option('--dry-run', 'classify and report; change nothing, call the provider for status only')
    .option('--json', 'machine output')
    .action(action(async (opts: { batchSize?: string; dryRun?: boolean; json?: boolean }) => {
      const batchSize = opts.batchSize === undefined ? undefined : parsePositiveInt(opts.batchSize, '--batch-size');
      const run = (await withSystem((s) =>
        withProgressBar('Reconciling', (progress) => s.runJob(processStuckTasks.name, 'cli', { overrides: { batchSize, dryRun: opts.dryRun }, progress })),
      ).catch(alreadyRunning)) as JobRun<ReconcileResult>;
      if (opts.json) printJson(run);
      else printReconcile(run);
      return run.status === 'completed' ? 0 : 1;
    }));
}

function printReconcile(run: JobRun<ReconcileResult>): void {
  if (run.status === 'failed') return void console.log(`Reconcile failed: ${run.error} (execution ${run.executionId})`);
  const r = run.results!;
  if (r.tasks.length > 0) {
    const table = plainTable(['ID', r.dryRun ? 'Would' : 'Action', 'Outcome']);
    for (const t of r.tasks) table.push([t.taskId, t.action ?? '-', t.error ? `error: ${t.error}` : (t.outcome ?? (r.dryRun ? '(dry run)' : '-'))]);
    console.log(renderTable(table));
  }
  for (const skip of r.skipped) console.log(`✗ Skipping ${skip.taskId}: ${skip.reason}`);
  if (r.tasks.length + r.skipped.length > 0) console.log('');
  console.log(`${processStuckTasks.describe(r)} (${run.durationMs} ms, ${r.batches} ${r.batches === 1 ? 'batch' : 'batches'}).`);
  if (run.executionId) console.log(`Recorded as execution ${run.executionId}.`);
}
