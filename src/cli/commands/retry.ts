import type { Command } from 'commander';
import { redispatchPendingTasks, retryTaskNow, type ReconcileResult, type TaskReport } from '../../recovery/index.js';
import { findTask, type TaskDeps, type TaskRow } from '../../tasks/index.js';
import type { System } from '../../app/system.js';
import { action, CliError, printJson, withSystem } from '../context.js';
import { withProgressBar } from '../progressBar.js';
import { formatAge, parseMinutes } from './stuck.js';

/** One `settle retry` handles at most this many tasks; run it again for more. */
const RETRY_LIMIT = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface RetryOpts {
  dryRun?: boolean;
  taskId?: string;
  ageMinutes?: string;
  json?: boolean;
}

interface Summary {
  found: number;
  triggered: number;
  skipped: number;
  failed: number;
}

interface RetryOutput {
  lines: string[];
  summary: Summary;
  result: unknown;
}

export function registerRetryCommand(program: Command): void {
  program
    .command('retry')
    .description('re-dispatch tasks stuck in pending (or re-check one task by id); exits 1 if any dispatch failed')
    .option('--dry-run', 'say what would be dispatched; send and change nothing')
    .option('--video-id, --task-id <id>', 'just this task, whatever its age (a processing task is re-checked with the provider)')
    .option('--age-minutes <n>', 'pending for over this many minutes (default $PENDING_STUCK_MINUTES)')
    .option('--json', 'machine output')
    .action(action(async (opts: RetryOpts) => {
      if (opts.taskId !== undefined && !UUID.test(opts.taskId)) throw new CliError(`--task-id must be a task id (a UUID), got "${opts.taskId}"`);
      const ageMinutes = opts.ageMinutes === undefined ? undefined : parseMinutes(opts.ageMinutes, '--age-minutes');
      const { lines, summary, result } = await withSystem<RetryOutput>((s) =>
        opts.taskId ? retryOne(s, opts.taskId, opts) : retryStale(s, ageMinutes, opts),
      );
      if (opts.json) printJson({ dryRun: Boolean(opts.dryRun), ...summary, result });
      else print(lines, summary, Boolean(opts.dryRun));
      // A dry run dispatches nothing, so nothing can have failed to dispatch.
      return !opts.dryRun && summary.failed > 0 ? 1 : 0;
    }));
}

async function retryStale(s: System, ageMinutes: number | undefined, opts: RetryOpts): Promise<RetryOutput> {
  const deps = s.tasks;
  const result = await withProgressBar('Re-dispatching', (progress) =>
    redispatchPendingTasks(deps, {
      olderThanMs: ageMinutes === undefined ? s.config.pendingStuckMs : ageMinutes * 60_000,
      batchSize: RETRY_LIMIT,
      dryRun: opts.dryRun,
      path: 'admin',
      progress,
    }),
  );
  const lines: string[] = [];
  for (const report of result.tasks) lines.push(await describe(deps, report, Boolean(opts.dryRun)));
  for (const skip of result.skipped) lines.push(`✗ Skipping ${skip.taskId}: ${skip.reason}`);
  return { lines, summary: summarize(result), result };
}

async function retryOne(s: System, taskId: string, opts: RetryOpts): Promise<RetryOutput> {
  const deps = s.tasks;
  const { task, verdict } = await retryTaskNow(deps, taskId, { dryRun: opts.dryRun, path: 'admin' });
  if (!task) throw new CliError(`No task ${taskId}`, 1);
  const summary: Summary = { found: 1, triggered: 0, skipped: 0, failed: 0 };
  if (verdict && 'skipped' in verdict) {
    summary.skipped = 1;
    return { lines: [`✗ Skipping ${taskId}: ${verdict.skipped}`], summary, result: { taskId, skipped: verdict.skipped } };
  }
  const report: TaskReport = { taskId, ...verdict };
  const failed = isFailure(report, Boolean(opts.dryRun));
  summary[failed ? 'failed' : 'triggered'] = 1;
  return { lines: [await describe(deps, report, Boolean(opts.dryRun))], summary, result: { ...report, status: task.status } };
}

function summarize(r: ReconcileResult): Summary {
  const failed = r.tasks.filter((t) => isFailure(t, r.dryRun)).length;
  return { found: r.totalFound, triggered: r.tasks.length - failed, skipped: r.skipped.length, failed };
}

/** A dispatch that did not happen: the provider refused, the task was failed instead, or handling it threw. */
function isFailure(report: TaskReport, dryRun: boolean): boolean {
  if (report.error) return true;
  if (dryRun) return report.action === 'fail';
  return report.outcome === 'failed' || report.outcome === 'still_pending' || report.outcome === 'provider_error';
}

async function describe(deps: TaskDeps, report: TaskReport, dryRun: boolean): Promise<string> {
  const task = await findTask(deps.db, report.taskId);
  const what = task ? `${task.model}, created ${formatAge(Date.now() - task.created_at.getTime())}` : '';
  if (report.error) return `✗ Failed ${report.taskId}: ${report.error}`;
  if (isFailure(report, dryRun)) return `✗ Failed ${report.taskId}: ${failureReason(task, report, dryRun)}`;
  if (report.action === 'redispatch') {
    if (dryRun) return `✓ dispatched ${report.taskId} (dry run: not sent; ${what})`;
    return `✓ dispatched ${report.taskId} → ${task?.status ?? 'gone'} (${what})`;
  }
  const outcome = dryRun ? `would ${report.action}` : `${report.action}: ${report.outcome}`;
  return `✓ re-checked ${report.taskId} → ${outcome} (${what})`;
}

function failureReason(task: TaskRow | null, report: TaskReport, dryRun: boolean): string {
  if (dryRun) return 'no provider accepted it within its timeout; it would be failed and refunded';
  if (report.outcome === 'failed') return `${task?.error_code ?? 'failed'}: ${task?.error_message ?? 'failed and refunded'} (refunded)`;
  return `the provider did not accept it (${task?.error_message ?? 'provider error'}); it stays pending and is retried later`;
}

function print(lines: string[], summary: Summary, dryRun: boolean): void {
  if (dryRun) console.log('DRY RUN: nothing is sent to the provider and nothing changes.\n');
  for (const line of lines) console.log(line);
  if (lines.length === 0) console.log('No pending tasks to retry.');
  console.log('');
  console.log(`RETRY SUMMARY${dryRun ? ' (dry run)' : ''}`);
  console.log(`  Found:      ${summary.found}`);
  console.log(`  Triggered:  ${summary.triggered}`);
  console.log(`  Skipped:    ${summary.skipped}`);
  console.log(`  Failed:     ${summary.failed}`);
}
