import type { Command } from 'commander';
import type { JobRun } from '../../jobs/index.js';
import { pruneHistory } from '../../recovery/index.js';
import type { PruneResult } from '../../tasks/index.js';
import { action, CliError, parsePositiveInt, printJson, withSystem } from '../context.js';
import { withProgressBar } from '../progressBar.js';
import { alreadyRunning } from './cleanup.js';

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** "90d", "12h", "30m", "45s": a whole positive number and one unit. */
export function parseAge(value: string, flag: string): number {
  const match = /^(\d+)([dhms])$/.exec(value.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]!]! : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new CliError(`${flag} must be an age like 90d, 12h, 30m or 45s, got "${value}"`);
  return ms;
}

export function registerPruneCommand(program: Command): void {
  program
    .command('prune')
    .description("remove old finished tasks' inputs and stored files (the tasks, their money fields and the journal stay); one recorded run")
    .requiredOption('--older-than <age>', 'finished longer ago than this: 90d, 12h, 30m or 45s')
    .option('--batch-size <n>', 'tasks per batch', '500')
    .option('--dry-run', 'count what would be pruned; change nothing')
    .option('--json', 'machine output')
    .action(action(async (opts: { olderThan: string; batchSize: string; dryRun?: boolean; json?: boolean }) => {
      const olderThanMs = parseAge(opts.olderThan, '--older-than');
      const batchSize = parsePositiveInt(opts.batchSize, '--batch-size');
      const overrides = { olderThanMs, batchSize, dryRun: opts.dryRun };
      const run = (await withSystem((s) =>
        withProgressBar('Pruning', (progress) => s.runJob(pruneHistory.name, 'cli', { overrides, progress })),
      ).catch(alreadyRunning)) as JobRun<PruneResult>;
      if (opts.json) printJson(run);
      else if (run.status === 'failed') console.log(`Prune failed: ${run.error} (execution ${run.executionId})`);
      else console.log(`${pruneHistory.describe(run.results!)}, in ${run.durationMs} ms.${run.executionId ? ` Recorded as execution ${run.executionId}.` : ''}`);
      return run.status === 'completed' ? 0 : 1;
    }));
}
