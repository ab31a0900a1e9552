import { spawn, type ChildProcess } from 'node:child_process';
import { CLI_PATH } from './cli.js';
import { ticksOf, type TickOutcomes } from './ticks.js';

export interface WorkerProcess {
  child: ChildProcess;
  /** The exit code, once the process has ended. */
  exited: Promise<number | null>;
  /** What this process did with each tick of the job it fired (its 'scheduled tick' log lines): tickAt -> outcome. */
  ticks(job?: string): TickOutcomes;
  stderr(): string;
}

/** A `settle worker` process with the given environment; its JSON log lines are kept to see what it did with each tick. */
export function startWorkerProcess(env: Record<string, string>): WorkerProcess {
  const lines: Record<string, unknown>[] = [];
  const child = spawn(process.execPath, [CLI_PATH, 'worker'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const complete = buffered.split('\n');
    buffered = complete.pop()!;
    for (const line of complete) if (line.startsWith('{')) lines.push(JSON.parse(line));
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, ticks: (job) => ticksOf(lines, job), stderr: () => stderr };
}
