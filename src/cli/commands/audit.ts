import type { Command } from 'commander';
import { audit, formatAuditReport } from '../../tasks/index.js';
import { action, printJson, withSystem } from '../context.js';

export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description('check the ledger invariants; exits 1 on any violation')
    .option('--json', 'machine output')
    .action(action(async (opts: { json?: boolean }) => {
      const report = await withSystem((s) => audit(s.db, { store: s.store }));
      if (opts.json) printJson(report);
      else console.log(formatAuditReport(report));
      return report.ok ? 0 : 1;
    }));
}
