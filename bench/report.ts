import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface BenchResult {
  name: string;
  command: string;
  budget: string;
  withinBudget: boolean;
  figures: Record<string, number | string>;
}

/** Writes bench/results/<name>.json and .md, prints the table, and sets a failing exit code when over budget. */
export function report(result: BenchResult): void {
  const full = { ...result, node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, at: new Date().toISOString() };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${result.name}.json`, `${JSON.stringify(full, null, 2)}\n`);
  const rows = Object.entries(result.figures).map(([k, v]) => `| ${k} | ${v} |`);
  const md = [`### ${result.name}`, '', `\`${result.command}\` on ${full.cores} × ${full.cpu}, Node ${full.node}`, '',
    '| figure | value |', '|---|---|', ...rows, '', `Budget: ${result.budget} — ${result.withinBudget ? 'within' : 'OVER'}`, ''].join('\n');
  writeFileSync(`bench/results/${result.name}.md`, md);
  process.stdout.write(`${md}\n`);
  if (!result.withinBudget) process.exitCode = 1;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
