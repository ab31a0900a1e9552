import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/net.js';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

export interface RunningProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The built `settle` command in its own process (npm run bench builds first), answering once `readyPath` does. */
export async function startSettle(args: string[], env: Record<string, string>, port: number, readyPath: string, nodeFlags: string[] = []): Promise<RunningProcess> {
  const child = spawn(process.execPath, [...nodeFlags, CLI, ...args], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilServing(`${url}${readyPath}`, child, args[0]!);
  return { url, child, stop: () => stopProcess(child) };
}

/** The KIE simulator (`settle sim`) in its own process, so the provider's work is not counted as ours. */
export async function startSimulator(flags: string[]): Promise<RunningProcess> {
  const port = await freePort();
  return startSettle(['sim', '--port', String(port), '--no-rate-limit', ...flags], {}, port, '/sim/stats');
}

async function waitUntilServing(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await fetch(url).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null) throw new Error(`settle ${what} exited with ${child.exitCode} (did npm run build run?)`);
    if (Date.now() > deadline) throw new Error(`settle ${what} did not answer ${url} within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}


/** Runs fn with a simulator process, stopped afterwards whatever happened. */
export async function withSimulator<T>(flags: string[], fn: (sim: RunningProcess) => Promise<T>): Promise<T> {
  const sim = await startSimulator(flags);
  try {
    return await fn(sim);
  } finally {
    await sim.stop();
  }
}

/** A `settle` command run to its end (prune, audit): its exit code and output; its logs go to stderr. */
export function runSettleCommand(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}
