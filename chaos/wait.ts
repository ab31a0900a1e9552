// Every wait in the chaos run is bounded: one that runs out fails the run, saying what it waited for.

export const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function within<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${seconds(timeoutMs)} waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/**
 * Asks `check` every `everyMs` until it answers true (resolves true) or `timeoutMs` has passed (resolves false). A
 * check that itself hangs past the bound fails naming `what`.
 */
export async function pollUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await within(check(), Math.max(deadline - Date.now(), everyMs), what)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}
