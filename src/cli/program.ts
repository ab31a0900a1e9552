import { Command } from 'commander';
import { registerAuditCommand } from './commands/audit.js';
import { registerCleanupCommand } from './commands/cleanup.js';
import { registerCreditCommands } from './commands/credits.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerExecutionsCommand } from './commands/executions.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerOutboxCommand } from './commands/outbox.js';
import { registerPruneCommand } from './commands/prune.js';
import { registerReconcileCommand } from './commands/reconcile.js';
import { registerRefundCommand } from './commands/refund.js';
import { registerRetryCommand } from './commands/retry.js';
import { registerSchedulesCommand } from './commands/schedules.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSimCommand } from './commands/sim.js';
import { registerStuckCommand } from './commands/stuck.js';
import { registerUserCommands } from './commands/users.js';
import { registerWebhookCommands } from './commands/webhooks.js';
import { registerWorkerCommand } from './commands/worker.js';
import { stopExitingCleanly } from './earlyExit.js';

/** The commands that install a graceful stop of their own (runSettle's onShutdown) before they start anything. */
const STOPS_GRACEFULLY = new Set(['serve', 'worker', 'demo']);

/** The `settle` command line: every command, parsed from argv. */
export async function runCli(argv: string[]): Promise<void> {
  const program = new Command('settle')
    .description('Settle: every AI generation task settles, delivered and charged or failed and refunded')
    .showHelpAfterError()
    // A command's options go to it, not to the command it belongs to: `outbox resend <id> --json`.
    .enablePositionalOptions()
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .hook('preAction', (_, command) => {
      if (!STOPS_GRACEFULLY.has(command.name())) stopExitingCleanly();
    });

  registerServeCommand(program);
  registerWorkerCommand(program);
  registerDemoCommand(program);
  registerMigrateCommand(program);
  registerDoctorCommand(program);
  registerUserCommands(program);
  registerCreditCommands(program);
  registerRefundCommand(program);
  registerAuditCommand(program);
  registerPruneCommand(program);
  registerOutboxCommand(program);
  registerStuckCommand(program);
  registerRetryCommand(program);
  registerReconcileCommand(program);
  registerCleanupCommand(program);
  registerExecutionsCommand(program);
  registerSchedulesCommand(program);
  registerSimCommand(program);
  registerWebhookCommands(program);

  await program.parseAsync(argv);
}
