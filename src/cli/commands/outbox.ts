import type { Command } from 'commander';
import Table from 'cli-table3';
import { z } from 'zod';
import { listNotifications, outboxCounts, resendNotification, type OutboxStatus } from '../../notify/index.js';
import { cursorOf } from '../../db/index.js';
import { action, CliError, parsePositiveInt, printJson, withSystem } from '../context.js';
import { pageKeyOf } from '../cursor.js';

const STATUSES: OutboxStatus[] = ['pending', 'sent', 'dead'];

export function registerOutboxCommand(program: Command): void {
  const outbox = program
    .command('outbox')
    .description('list notification outbox entries (e-mails, alerts and webhooks)')
    .option('--status <status>', `only entries in this status (${STATUSES.join(', ')})`)
    .option('--limit <n>', 'how many, newest first', '50')
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--json', 'machine output')
    .action(action(async (opts: { status?: string; limit: string; cursor?: string; json?: boolean }) => {
      if (opts.status && !STATUSES.includes(opts.status as OutboxStatus)) {
        throw new CliError(`--status must be one of ${STATUSES.join(', ')}, got "${opts.status}"`);
      }
      const limit = parsePositiveInt(opts.limit, '--limit');
      const status = opts.status as OutboxStatus | undefined;
      const after = opts.cursor === undefined ? null : pageKeyOf(opts.cursor, 'settle outbox');
      const [{ entries, next }, counts] = await withSystem((s) => Promise.all([listNotifications(s.db, { status, limit, after }), outboxCounts(s.db)]));
      if (opts.json) return printJson({ entries, counts, nextCursor: cursorOf(next) });
      // cli-table3 colours its header and borders whatever stdout is; piped into a file or grep they are noise.
      const style = process.stdout.isTTY ? {} : { head: [], border: [] };
      const table = new Table({ head: ['ID', 'Channel', 'Kind', 'Status', 'Attempts', 'Last error', 'Created'], style });
      for (const e of entries) {
        table.push([e.id, e.channel, e.kind, e.status, e.max_attempts === null ? e.attempts : `${e.attempts}/${e.max_attempts}`, (e.last_error ?? '').slice(0, 60), e.created_at.toISOString()]);
      }
      console.log(entries.length > 0 ? table.toString() : 'No outbox entries match.');
      if (next) console.log(`More: settle outbox${status ? ` --status ${status}` : ''} --cursor ${cursorOf(next)}`);
      console.log(`Outbox: ${counts.pending} pending, ${counts.sent} sent, ${counts.dead} dead.`);
      if (counts.dead > 0) console.log('Re-send a dead entry with `settle outbox resend <id>`, POST /api/admin/outbox/<id>/resend or from the dashboard.');
    }));
  outbox
    .command('resend <id>')
    .description('send a dead entry again: a fresh set of attempts (a webhook: a fresh retry window)')
    .option('--json', 'machine output')
    .action(action(async (id: string, opts: { json?: boolean }) => {
      if (!z.uuid().safeParse(id).success) throw new CliError(`the entry id must be a UUID (see \`settle outbox --status dead\`), got "${id}"`);
      const entry = await withSystem((s) => resendNotification(s.db, id));
      if (!entry) throw new CliError(`No dead outbox entry ${id}`, 1);
      if (opts.json) return printJson({ entry });
      console.log(`Outbox entry ${id} (${entry.channel} ${entry.kind}) is pending again.`);
    }));
}
