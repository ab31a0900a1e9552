import type { Ratio, SectionResult } from './report.js';

/** Against pg-boss, at least half on the way to par (issue 8); against pgbench, the submission's share (issue 17). */
const PG_BOSS_TARGET = 0.5;
const SUBMIT_PGBENCH_TARGET = 0.3;

/** The machine-independent figures: ours over the database's own limit and over pg-boss, from the same run. */
export function ratios(sections: SectionResult[]): Ratio[] {
  const figure = (section: string, name: string) => sections.find((s) => s.name === section && !s.skipped)?.figures[name];
  const settle = figure('settle', 'settlements/s');
  const submit = figure('submit', 'tasks/s');
  const pgBoss = figure('pg-boss', 'fetch+complete jobs/s');
  const ceilings = { 'node ceiling': figure('ceiling', 'node TPS'), pgbench: figure('ceiling', 'pgbench TPS') };
  const list: Ratio[] = [];
  if (settle && pgBoss) {
    const value = settle / pgBoss;
    list.push({ label: 'settle ÷ pg-boss', value, target: `≥ ${PG_BOSS_TARGET}x`, pass: value >= PG_BOSS_TARGET });
  }
  for (const [name, ceiling] of Object.entries(ceilings)) {
    if (!ceiling) continue;
    if (settle) list.push({ label: `settle ÷ ${name}`, value: settle / ceiling });
    if (!submit) continue;
    const value = submit / ceiling;
    list.push(name === 'pgbench' ? { label: 'submit ÷ pgbench', value, target: `≥ ${SUBMIT_PGBENCH_TARGET}x`, pass: value >= SUBMIT_PGBENCH_TARGET } : { label: `submit ÷ ${name}`, value });
  }
  return list;
}
