import type { Command } from 'commander';
import { runDoctor, type Check } from '../../doctor/index.js';
import { action, printJson, readConfig } from '../context.js';

const MARK: Record<Check['status'], string> = { ok: 'ok', fail: 'FAIL', skip: 'skip' };

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check the configuration, database, providers, storage, SMTP and alert webhooks; exit 1 naming what fails')
    .option('--json', 'machine output: {ok, failed, checks}')
    .action(action(async (opts: { json?: boolean }) => {
      const checks = await runDoctor(() => readConfig());
      const failed = checks.filter((c) => c.status === 'fail').map((c) => c.name);
      if (opts.json) printJson({ ok: failed.length === 0, failed, checks });
      else printChecks(checks, failed);
      return failed.length === 0 ? 0 : 1;
    }));
}

function printChecks(checks: Check[], failed: string[]): void {
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) console.log(`${MARK[c.status].padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}`);
  console.log(failed.length === 0 ? `doctor: all ${checks.length} checks passed` : `doctor: ${failed.length} of ${checks.length} checks failed: ${failed.join(', ')}`);
}
