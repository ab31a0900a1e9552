import type { Command } from 'commander';
import { migrate, openDatabase } from '../../db/index.js';
import { createLogger } from '../../log/index.js';
import { databaseOptions } from '../../app/index.js';
import { action, readConfig } from '../context.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (safe to run again)')
    .action(action(async () => {
      const config = readConfig({}, { LOG_LEVEL: 'warn' });
      const db = await openDatabase(databaseOptions(config, createLogger(config.logLevel, process.stderr)));
      try {
        const applied = await migrate(db);
        console.log(applied.length === 0 ? 'Database is up to date.' : `Applied ${applied.length} migration(s): ${applied.join(', ')}`);
      } finally {
        await db.close();
      }
    }));
}
