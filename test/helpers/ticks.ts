import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/index.js';

/** What one instance did with each tick of a job, read from its 'scheduled tick' log lines: tickAt -> outcome. */
export type TickOutcomes = Map<string, string>;

export function ticksOf(lines: Record<string, unknown>[], job = 'process-stuck-tasks'): TickOutcomes {
  return new Map(lines.filter((l) => l.msg === 'scheduled tick' && l.job === job).map((l) => [l.tickAt as string, l.outcome as string]));
}

/** Ticks after `since` that both instances fired: [tick, outcome in a, outcome in b]. */
export function sharedTicks(a: TickOutcomes, b: TickOutcomes, since = 0): [string, string, string][] {
  return [...b].filter(([tick]) => Date.parse(tick) > since && a.has(tick)).map(([tick, inB]) => [tick, a.get(tick)!, inB]);
}

/** The first tick after `since` that an instance took (ran, failed, overlap or paused), with its outcome. */
export function firstTakenAfter(since: number, ...instances: TickOutcomes[]): [string, string] | undefined {
  return instances
    .flatMap((ticks) => [...ticks])
    .filter(([tick, outcome]) => Date.parse(tick) > since && outcome !== 'claimed_elsewhere')
    .sort(([x], [y]) => Date.parse(x) - Date.parse(y))[0];
}

/** An in-process logger whose JSON lines are kept, to read what an instance did with each tick. */
export function recordingLogger(): { logger: Logger; ticks(job?: string): TickOutcomes } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger('info', sink), ticks: (job) => ticksOf(lines, job) };
}
