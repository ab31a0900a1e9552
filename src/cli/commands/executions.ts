import type { Command } from 'commander';
import { cursorOf } from '../../db/index.js';
import { executionView, listRuns, runStats, type ExecutionView, type RunStats } from '../../jobs/index.js';
import { action, parsePositiveInt, printJson, withSystem } from '../context.js';
import { pageKeyOf } from '../cursor.js';
import { plainTable, renderTable } from './stuck.js';

export function registerExecutionsCommand(program: Command): void {
  program
    .command('executions')
    .description('the recovery run history (reconciler and cleanup runs), newest first, with statistics')
    .option('--limit <n>', 'how many runs', '50')
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--json', 'machine output: {executions, stats, nextCursor}')
    .action(action(async (opts: { limit: string; cursor?: string; json?: boolean }) => {
      const limit = parsePositiveInt(opts.limit, '--limit');
      const before = opts.cursor === undefined ? null : pageKeyOf(opts.cursor, 'settle executions');
      const { executions, stats, nextCursor } = await withSystem(async (s) => {
        const { runs, next } = await listRuns(s.db, { limit, before });
        return { executions: runs.map(executionView), stats: await runStats(s.db), nextCursor: cursorOf(next) };
      });
      if (opts.json) return printJson({ executions, stats, nextCursor });
      if (executions.length === 0) console.log('No recovery runs recorded yet.');
      else console.log(renderTable(historyTable(executions)));
      if (nextCursor) console.log(`More: settle executions --cursor ${nextCursor}`);
      console.log('');
      console.log(describeStats(stats));
    }));
}

function historyTable(executions: ExecutionView[]) {
  const table = plainTable(['Started', 'Job', 'Trigger', 'Status', 'Duration', 'Found', 'Completed', 'Retried', 'Re-dispatched', 'Failed', 'Errors', 'ID']);
  for (const e of executions) {
    const count = (key: keyof NonNullable<ExecutionView['summary']>) => (e.summary ? String(e.summary[key]) : '-');
    table.push([
      e.startedAt.replace('T', ' ').slice(0, 19),
      e.jobName,
      e.trigger,
      e.status === 'failed' && e.errorMessage ? `failed: ${e.errorMessage.slice(0, 40)}` : e.status,
      e.durationMs === null ? '-' : `${e.durationMs} ms`,
      count('found'),
      count('completed'),
      count('retried'),
      count('redispatched'),
      count('failed'),
      count('errors'),
      e.id,
    ]);
  }
  return table;
}

function describeStats(s: RunStats): string {
  const pct = (v: number | null) => (v === null ? 'n/a' : `${Math.round(v * 1000) / 10}%`);
  const hours = Math.round(s.windowMs / 3_600_000);
  return (
    `Last ${hours} h: ${s.totalExecutions} runs, success rate ${pct(s.successRate)}, ` +
    `average ${s.avgDurationMs === null ? 'n/a' : `${s.avgDurationMs} ms`}, ${s.tasksRecovered} tasks completed by recovery, ` +
    `${s.tasksRetried} retried, ${s.tasksRedispatched} re-dispatched, ${s.tasksFailed} failed, error rate ${pct(s.errorRate)}.`
  );
}
