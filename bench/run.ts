/**
 * The benchmark suite of issue 8: each section on a fresh database (DATABASE_URL or TEST_DATABASE_URL, else the
 * embedded one), the simulator in its own process; a Markdown table on stdout, JSON + Markdown under --out.
 *
 *   npm run bench                                                           # embedded PGlite
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench  # PostgreSQL
 *   npm run bench -- --smoke --only submit,settle                           # small sizes, chosen sections
 *   npm run bench -- --history 1000000 --repeat 3                           # on a million finished tasks, median of 3
 *
 * Exits 0 when a target is missed (it is a report; misses print MISS), 1 when a section broke, and with --strict
 * also on a miss.
 */
import { createBenchDatabase, dropTemplate, setTemplateHistory, targetServerUrl } from './benchDatabase.js';
import { describeMachine, type Machine } from './machine.js';
import { parseOptions, USAGE, type BenchOptions, type SectionName } from './options.js';
import { ratios } from './ratios.js';
import { combineRuns } from './repeat.js';
import { writeReport, type SectionResult } from './report.js';
import { benchCeiling } from './sections/ceiling.js';
import { benchDashboard } from './sections/dashboard.js';
import { benchMetrics } from './sections/metrics.js';
import { benchPgBoss } from './sections/pgBoss.js';
import { benchPolls } from './sections/polls.js';
import { benchPrune } from './sections/prune.js';
import { benchRecovery } from './sections/recovery.js';
import { benchSettle } from './sections/settle.js';
import { benchStore } from './sections/store.js';
import { benchSubmit } from './sections/submit.js';

const SECTIONS: Record<SectionName, (options: BenchOptions) => Promise<SectionResult>> = {
  submit: benchSubmit,
  settle: benchSettle,
  store: benchStore,
  'recovery-webhook': (o) => benchRecovery(o, 'webhook'),
  'recovery-no-callback': (o) => benchRecovery(o, 'no-callback'),
  polls: benchPolls,
  metrics: benchMetrics,
  dashboard: benchDashboard,
  ceiling: benchCeiling,
  'pg-boss': benchPgBoss,
  prune: benchPrune,
};

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nusage: ${USAGE}\n`);
    return 2;
  }
  try {
    return await runBench(options, `tsx bench/run.ts ${argv.join(' ')}`.trim());
  } finally {
    await dropTemplate();
  }
}

async function runBench(options: BenchOptions, command: string): Promise<number> {
  setTemplateHistory(options.history);
  const database = describeTarget();
  const machine = await machineOfTarget();
  process.stdout.write(`Database: ${database}, a fresh database per section. ${machine.database}.\n`);
  const startedAt = new Date().toISOString();
  // Round by round (every section once, then again), not each section three times in a row: a machine whose speed
  // drifts over the run then weighs on a ratio's two sides alike.
  const runs = new Map<string, SectionResult[]>(options.only.map((name) => [name, []]));
  for (let round = 0; round < options.repeat; round++) {
    for (const name of options.only) {
      const result = await runSection(name, options);
      if (result) runs.get(name)!.push(result);
    }
  }
  const sections = options.only.filter((name) => runs.get(name)!.length === options.repeat).map((name) => combineRuns(runs.get(name)!));
  const broken = options.only.length - sections.length;
  const ratioList = ratios(sections);
  const missed = sections.flatMap((s) => s.targets).filter((t) => !t.pass).length + ratioList.filter((r) => r.pass === false).length;
  const md = writeReport(options.out, { command, database, machine, startedAt, sections, ratios: ratioList, missed });
  process.stdout.write(`\n${md}\n`);
  if (missed > 0) process.stdout.write(`MISS: ${missed} target(s) missed (see the table)\n`);
  if (broken > 0) process.stdout.write(`BROKEN: ${broken} section(s) could not be measured (see stderr)\n`);
  process.stdout.write(`Results: ${options.out}\n`);
  return broken > 0 || (options.strict && missed > 0) ? 1 : 0;
}

/** One section's result, or undefined when it broke (told on stderr; the other sections still run). */
async function runSection(name: SectionName, options: BenchOptions): Promise<SectionResult | undefined> {
  process.stderr.write(`[bench] ${name}...\n`);
  const started = performance.now();
  try {
    const result = await SECTIONS[name](options);
    process.stderr.write(`[bench] ${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    return result;
  } catch (err) {
    process.stderr.write(`[bench] ${name} BROKE: ${(err as Error).stack ?? String(err)}\n`);
    return undefined;
  }
}

/** Where the run goes, without credentials. */
function describeTarget(): string {
  const url = targetServerUrl();
  if (!url) return 'embedded PGlite (no DATABASE_URL or TEST_DATABASE_URL)';
  const { hostname, port } = new URL(url);
  return `PostgreSQL at ${hostname}:${port || 5432}`;
}

async function machineOfTarget(): Promise<Machine> {
  const database = await createBenchDatabase();
  try {
    const db = await database.open(1);
    try {
      return await describeMachine(db);
    } finally {
      await db.close();
    }
  } finally {
    await database.drop();
  }
}

process.exitCode = await main(process.argv.slice(2));
