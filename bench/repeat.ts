import type { SectionResult, Target } from './report.js';

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Several runs of one section as one result: each figure is the median of the runs, with its min and max beside it;
 * a target passes when most runs passed it, so one noisy run neither passes nor fails it.
 */
export function combineRuns(runs: SectionResult[]): SectionResult {
  const first = runs[0]!;
  if (runs.length === 1 || first.skipped) return first;
  const figures: Record<string, number> = {};
  const spread: Record<string, [number, number]> = {};
  for (const key of Object.keys(first.figures)) {
    const values = runs.map((r) => r.figures[key]!).filter((v) => v !== undefined);
    figures[key] = median(values);
    spread[key] = [Math.min(...values), Math.max(...values)];
  }
  const targets: Target[] = first.targets.map((t, i) => {
    const passed = runs.filter((r) => r.targets[i]?.pass).length;
    return { label: t.label, pass: passed * 2 > runs.length, detail: `${passed} of ${runs.length} runs passed` };
  });
  return { ...first, what: `${first.what}; median of ${runs.length} runs`, figures, spread, targets };
}
