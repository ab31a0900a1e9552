#!/usr/bin/env node
import { Command } from 'commander';
import { registerAuditCommand } from './commands/audit.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerOutboxCommand } from './commands/outbox.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSimCommand } from './commands/sim.js';
import { registerUserCommands } from './commands/users.js';

const program = new Command('settle')
  .description('Settle: every AI generation task settles, delivered and charged or failed and refunded')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

registerServeCommand(program);
registerDemoCommand(program);
registerMigrateCommand(program);
registerUserCommands(program);
registerAuditCommand(program);
registerOutboxCommand(program);
registerSimCommand(program);

await program.parseAsync(process.argv);
