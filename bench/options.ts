import { parseArgs } from 'node:util';
import type { AssetPlace } from './settleSystem.js';

export const SECTION_NAMES = ['submit', 'settle', 'store', 'recovery-webhook', 'recovery-no-callback', 'polls', 'metrics', 'dashboard', 'ceiling', 'pg-boss', 'prune'] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

export interface BenchOptions {
  smoke: boolean;
  only: SectionName[];
  out: string;
  strict: boolean;
  /** HTTP connections of the submit and status-poll loads, and clients of the ceiling. */
  concurrency: number;
  submitRequests: number;
  settleTasks: number;
  /** Where the settle section stores result files: memory (tmpfs, the default) or the project's disk. */
  settleAssets: AssetPlace;
  /** How the settle backlog is drained: the reconciler job (batch after batch within its budget), or the continuous worker. */
  drainer: 'reconciler' | 'worker';
  recoveryTasks: number;
  /** WORKER_POLL_MAX_MS of the lost-callback run: its target is p99 under this + 1 s. */
  pollMaxMs: number;
  pollRequests: number;
  /** Completed tasks the status polls walk through. */
  pollTasks: number;
  ceilingSeconds: number;
  pgbossJobs: number;
  /** Finished tasks (with journals, outbox rows and runs) every section's database holds before it is measured. */
  history: number;
  /** Runs of each section; the report gives the median of each figure, with its min and max. */
  repeat: number;
  /** Sequential GET /metrics timed by the metrics section. */
  scrapes: number;
  /** Loads of each dashboard page's data timed by the dashboard section. */
  dashboardLoads: number;
  /** Where `settle serve` children write --cpu-prof profiles (submit, polls); in-process sections: run node --cpu-prof. */
  cpuProfDir?: string;
}

const FULL = { concurrency: 64, submit: 10_000, settle: 10_000, recovery: 200, polls: 20_000, pollTasks: 200, ceiling: 10, pgboss: 10_000, scrapes: 200, dashboardLoads: 100 };
const SMOKE = { concurrency: 16, submit: 200, settle: 200, recovery: 10, polls: 500, pollTasks: 20, ceiling: 1, pgboss: 500, scrapes: 20, dashboardLoads: 5 };

export const USAGE = `tsx bench/run.ts [--smoke] [--only ${SECTION_NAMES.join(',')}] [--out bench/results/latest.json] [--strict]
  [--concurrency 64] [--submit-requests 10000] [--settle-tasks 10000] [--drainer reconciler|worker] [--settle-assets memory|disk]
  [--recovery-tasks 200] [--poll-max-ms 2000] [--poll-requests 20000] [--ceiling-seconds 10] [--pgboss-jobs 10000] [--cpu-prof <dir>]
  [--history 0] [--repeat 1] [--scrapes 200] [--dashboard-loads 100]`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string', default: 'bench/results/latest.json' },
      strict: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      'submit-requests': { type: 'string' },
      'settle-tasks': { type: 'string' },
      drainer: { type: 'string', default: 'reconciler' },
      'settle-assets': { type: 'string', default: 'memory' },
      'recovery-tasks': { type: 'string' },
      'poll-max-ms': { type: 'string', default: '2000' },
      'poll-requests': { type: 'string' },
      'ceiling-seconds': { type: 'string' },
      'pgboss-jobs': { type: 'string' },
      'cpu-prof': { type: 'string' },
      history: { type: 'string' },
      repeat: { type: 'string', default: '1' },
      scrapes: { type: 'string' },
      'dashboard-loads': { type: 'string' },
    },
  });
  const sizes = values.smoke ? SMOKE : FULL;
  const drainer = values.drainer;
  if (drainer !== 'reconciler' && drainer !== 'worker') throw new Error(`--drainer must be reconciler or worker, not ${drainer}`);
  const settleAssets = values['settle-assets'];
  if (settleAssets !== 'memory' && settleAssets !== 'disk') throw new Error(`--settle-assets must be memory or disk, not ${settleAssets}`);
  return {
    smoke: values.smoke,
    only: parseSections(values.only),
    out: values.out,
    strict: values.strict,
    concurrency: positive('--concurrency', values.concurrency, sizes.concurrency),
    submitRequests: positive('--submit-requests', values['submit-requests'], sizes.submit),
    settleTasks: positive('--settle-tasks', values['settle-tasks'], sizes.settle),
    drainer,
    settleAssets,
    recoveryTasks: positive('--recovery-tasks', values['recovery-tasks'], sizes.recovery),
    pollMaxMs: positive('--poll-max-ms', values['poll-max-ms'], 2000),
    pollRequests: positive('--poll-requests', values['poll-requests'], sizes.polls),
    pollTasks: sizes.pollTasks,
    ceilingSeconds: positive('--ceiling-seconds', values['ceiling-seconds'], sizes.ceiling),
    pgbossJobs: positive('--pgboss-jobs', values['pgboss-jobs'], sizes.pgboss),
    history: values.history === undefined ? 0 : positive('--history', values.history, 0),
    repeat: positive('--repeat', values.repeat, 1),
    scrapes: positive('--scrapes', values.scrapes, sizes.scrapes),
    dashboardLoads: positive('--dashboard-loads', values['dashboard-loads'], sizes.dashboardLoads),
    cpuProfDir: values['cpu-prof'],
  };
}

function parseSections(list: string | undefined): SectionName[] {
  if (!list) return [...SECTION_NAMES];
  return list.split(',').map((name) => {
    const section = SECTION_NAMES.find((s) => s === name.trim());
    if (!section) throw new Error(`--only: unknown section ${name}; known: ${SECTION_NAMES.join(', ')}`);
    return section;
  });
}

function positive(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, not ${value}`);
  return n;
}
