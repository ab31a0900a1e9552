import type { Command } from 'commander';
import { NotRefundableError, refundTask, refundView } from '../../tasks/index.js';
import { action, CliError, printJson, withSystem } from '../context.js';
import { checkUuid } from './userRef.js';

const MAX_REASON = 500;

/** `settle refund <taskId>`: gives a completed task's charge back, once. */
export function registerRefundCommand(program: Command): void {
  program
    .command('refund <taskId>')
    .description("give a completed task's charge back to its user (once; again changes nothing)")
    .requiredOption('--reason <text>', 'why, kept with the refund')
    .option('--json', 'machine output')
    .action(action(async (taskId: string, opts: { reason: string; json?: boolean }) => {
      checkUuid(taskId, 'The task id');
      const reason = opts.reason.trim();
      if (!reason || reason.length > MAX_REASON) throw new CliError(`--reason must be 1 to ${MAX_REASON} characters`);
      const made = await withSystem((s) => refundTask(s.tasks, taskId, reason)).catch((err: unknown) => {
        if (err instanceof NotRefundableError) throw new CliError(err.message, 1);
        throw err;
      });
      if (!made) throw new CliError(`No task ${taskId}`, 1);
      const answer = { ...refundView(made), replayed: made.replayed };
      if (opts.json) return printJson(answer);
      if (answer.replayed) console.log(`Task ${answer.taskId} was already refunded at ${answer.refundedAt}: nothing changed.`);
      else console.log(`Refunded ${answer.creditsRefunded} credits of task ${answer.taskId} to ${answer.userId}; balance is now ${answer.balance}.`);
    }));
}
