/** Delay before the next provider check of a task: doubling from min, capped at max. */
export function nextCheckDelay(checkCount: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(checkCount, 20));
}
