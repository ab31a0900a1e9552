import { createServer } from 'node:net';

/** A port that was free a moment ago, for servers whose URL must be known before they start. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** What a check gives back: a value when the condition holds, nothing (or false) while it does not yet. */
export type Check<T> = T | undefined | null | false;

/** Polls `check` until it gives a value; the timeout's message names `what` was awaited. */
export async function waitFor<T>(what: string, check: () => Check<T> | Promise<Check<T>>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
