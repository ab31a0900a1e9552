import type { Command } from 'commander';
import Table from 'cli-table3';
import { cursorOf } from '../../db/index.js';
import { adminTaskTotal, listTasksForAdmin, type TaskListRow } from '../../tasks/index.js';
import { emailsOf } from '../../users/index.js';
import { action, CliError, parsePositiveInt, printJson, withSystem } from '../context.js';
import { pageKeyOf } from '../cursor.js';

export function registerStuckCommand(program: Command): void {
  program
    .command('stuck')
    .description('list tasks stuck in pending or processing, oldest first')
    .option('--age-minutes <n>', 'pending or processing for over this many minutes (decimals allowed)', '10')
    .option('--limit <n>', 'show at most this many', '100')
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--json', 'machine output: {ageMinutes, total, tasks, nextCursor}')
    .action(action(async (opts: { ageMinutes: string; limit: string; cursor?: string; json?: boolean }) => {
      const ageMinutes = parseMinutes(opts.ageMinutes, '--age-minutes');
      const limit = parsePositiveInt(opts.limit, '--limit');
      const after = opts.cursor === undefined ? null : pageKeyOf(opts.cursor, 'settle stuck');
      const ageMs = ageMinutes * 60_000;
      const { tasks, total, emails, next } = await withSystem(async (s) => {
        const stuck = { processingMs: ageMs, pendingMs: ageMs };
        const list = await listTasksForAdmin(s.db, { stuck, limit, after });
        return { ...list, total: await adminTaskTotal(s.db, { stuck }), emails: await emailsOf(s.db, list.tasks.map((t) => t.user_id)) };
      });
      const nextCursor = cursorOf(next);
      if (opts.json) return printJson({ ageMinutes, total, tasks: tasks.map((t) => stuckView(t, emails.get(t.user_id) ?? null)), nextCursor });
      if (tasks.length === 0) {
        console.log(`No stuck tasks: nothing has been pending or processing for over ${ageMinutes} minutes.`);
        return;
      }
      const table = plainTable(['ID', 'Model', 'Status', 'Age', 'User']);
      for (const t of tasks) table.push([t.id, t.model, t.status, formatAge(t.age_ms), emails.get(t.user_id) ?? t.user_id]);
      console.log(renderTable(table));
      console.log('');
      const shown = total > tasks.length ? `Showing ${tasks.length} of ${total}` : `${total}`;
      console.log(`${shown} stuck task${total === 1 ? '' : 's'} (pending or processing for over ${ageMinutes} minutes).`);
      if (nextCursor) console.log(`More: settle stuck --age-minutes ${opts.ageMinutes} --limit ${limit} --cursor ${nextCursor}`);
      console.log('To retry these tasks, run: settle retry');
    }));
}

function stuckView(t: TaskListRow, email: string | null) {
  return {
    taskId: t.id,
    model: t.model,
    status: t.status,
    ageMs: t.age_ms,
    age: formatAge(t.age_ms),
    userId: t.user_id,
    email,
    attempts: t.attempts,
    maxAttempts: t.max_attempts,
    leaseOwner: t.lease_owner,
    leaseExpiresAt: t.lease_expires_at?.toISOString() ?? null,
    createdAt: t.created_at.toISOString(),
    processingStartedAt: t.processing_started_at?.toISOString() ?? null,
  };
}

/** "45s ago", "45m ago", "2h 5m ago", "3d ago". */
export function formatAge(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.max(0, Math.floor(ms / 1000))}s ago`;
  if (minutes < 60) return `${minutes}m ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours}h ago` : `${hours}h ${minutes % 60}m ago`;
  return `${Math.floor(hours / 24)}d ago`;
}

/** Minutes as the recovery settings take them: positive, decimals allowed ("0.5"). */
export function parseMinutes(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new CliError(`${flag} must be a positive number of minutes, got "${value}"`);
  return n;
}

const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};

/** A borderless table whose columns line up, for the recovery commands' human output. */
export function plainTable(head: string[]): Table.Table {
  return new Table({ head, chars: NO_BORDERS, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
}

export function renderTable(table: Table.Table): string {
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
