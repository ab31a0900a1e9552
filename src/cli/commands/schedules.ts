import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { describePauseChange, listSchedules, setSchedulePaused, UnknownJobError, type LastRun, type ScheduleView } from '../../jobs/index.js';
import { action, CliError, printJson, withSystem } from '../context.js';
import { plainTable, renderTable } from './stuck.js';

export function registerSchedulesCommand(program: Command): void {
  const schedules = program.command('schedules').description('the recovery schedules: list them, pause or resume one on every instance');
  schedules
    .command('list', { isDefault: true })
    .description('each job with its pattern, pause state, next and last run')
    .option('--json', 'machine output')
    .action(action(async (opts: { json?: boolean }) => {
      const list = await withSystem((s) => listSchedules(s.db, s.jobs, s.config));
      if (opts.json) return printJson({ schedules: list });
      printSchedules(list);
    }));
  schedules
    .command('pause <job>')
    .description('stop the scheduled runs of a job on every instance (a run in progress finishes; manual runs still work)')
    .option('--reason <text>', 'why, shown to other operators')
    .option('--json', 'machine output')
    .action(action(async (job: string, opts: { reason?: string; json?: boolean }) => {
      const reason = opts.reason?.trim() || undefined;
      if (reason && reason.length > 500) throw new CliError('--reason must be at most 500 characters');
      await change(job, { paused: true, reason }, opts.json);
    }));
  schedules
    .command('resume <job>')
    .description('let a paused job run on its schedule again, from its next tick')
    .option('--json', 'machine output')
    .action(action(async (job: string, opts: { json?: boolean }) => change(job, { paused: false }, opts.json)));
}

async function change(job: string, to: { paused: boolean; reason?: string }, json: boolean | undefined): Promise<void> {
  const { schedule, changed } = await withSystem((s) => setSchedulePaused(s.db, s.jobs, s.config, job, { ...to, by: cliActor() })).catch((err: unknown) => {
    if (err instanceof UnknownJobError) throw new CliError(err.message, 1);
    throw err;
  });
  const message = describePauseChange(schedule, changed);
  if (json) return printJson({ schedule, changed, message });
  console.log(message);
}

/** Who paused it from a shell: the operating-system user and host. */
function cliActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the host still says where it came from.
  }
  return `${user}@${hostname()} (CLI)`;
}

function printSchedules(list: ScheduleView[]): void {
  const table = plainTable(['Job', 'Pattern', 'Paused', 'Next run (UTC)', 'Last run (UTC)']);
  for (const s of list) {
    const paused = s.paused ? `yes, ${s.skippedTicks} tick${s.skippedTicks === 1 ? '' : 's'} skipped` : 'no';
    table.push([s.job, s.pattern, paused, s.nextRun ? utc(s.nextRun) : s.paused ? '- (paused)' : '- (off here)', lastRun(s.lastRun)]);
  }
  console.log(renderTable(table));
  for (const s of list.filter((x) => x.paused)) {
    console.log(`${s.job}: paused at ${utc(s.pausedAt!)} UTC by ${s.pausedBy ?? 'unknown'}${s.reason ? `: ${s.reason}` : ''}`);
  }
}

function lastRun(run: LastRun | null): string {
  if (!run) return '-';
  return `${utc(run.startedAt)} ${run.status}${run.manual ? ` (manual, ${run.trigger})` : run.trigger === 'http' ? ' (cron route)' : ''}`;
}

const utc = (iso: string) => iso.replace('T', ' ').slice(0, 19);
