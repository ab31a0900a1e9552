import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Machine } from './machine.js';

/** One issue target, judged on a figure of the same run. */
export interface Target {
  label: string;
  pass: boolean;
  /** What went wrong, when it did and the figures do not show it. */
  detail?: string;
}

export interface SectionResult {
  name: string;
  /** What was measured, in one line (sizes, concurrency, which path settled). */
  what: string;
  /** Positive, finite figures only: the smoke test checks that. */
  figures: Record<string, number>;
  /** With --repeat: each figure's min and max over the runs (figures then holds the median). */
  spread?: Record<string, [number, number]>;
  targets: Target[];
  /** Why a section could not be measured on this database (pg-boss on PGlite). */
  skipped?: string;
}

export interface Ratio {
  label: string;
  value: number;
  target?: string;
  pass?: boolean;
}

export interface BenchReport {
  command: string;
  database: string;
  machine: Machine;
  startedAt: string;
  sections: SectionResult[];
  ratios: Ratio[];
  missed: number;
}

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100);

export function markdown(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    `Settle benchmark on ${report.database}: \`${report.command}\``,
    '',
    `${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, load average ${m.loadAverage} at the start, Node ${m.node}, ${m.database}, commit ${m.commit}`,
    '',
    '| section | measured | figures | target | result |',
    '|---|---|---|---|---|',
    ...report.sections.map(sectionRow),
    '',
    '| ratio | value | target | result |',
    '|---|---|---|---|',
    ...report.ratios.map((r) => `| ${r.label} | ${round(r.value)}x | ${r.target ?? ''} | ${r.pass === undefined ? 'n/a' : r.pass ? 'pass' : '**MISS**'} |`),
    '',
  ];
  return lines.join('\n');
}

function sectionRow(s: SectionResult): string {
  if (s.skipped) return `| ${s.name} | not measured | | | ${s.skipped} |`;
  const figures = Object.entries(s.figures)
    .map(([k, v]) => `${k} ${round(v)}${s.spread?.[k] ? ` (${round(s.spread[k][0])}–${round(s.spread[k][1])})` : ''}`)
    .join(', ');
  const targets = s.targets.map((t) => t.label).join('; ') || '(none)';
  const missed = s.targets.filter((t) => !t.pass).map((t) => (t.detail ? `${t.label}: ${t.detail}` : t.label));
  const result = s.targets.length === 0 ? 'n/a' : missed.length === 0 ? 'pass' : `**MISS** (${missed.join('; ')})`;
  return `| ${s.name} | ${s.what} | ${figures} | ${targets} | ${result} |`;
}

/** Writes the JSON and the Markdown table next to it (same name, .md). */
export function writeReport(path: string, report: BenchReport): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  const md = markdown(report);
  writeFileSync(path.replace(/\.json$/, '') + '.md', md);
  return md;
}
