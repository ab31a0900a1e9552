import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pollUntil, seconds } from './wait.js';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

/** How long the kernel may take to reap a SIGKILLed process. */
const KILL_EXIT_MS = 10_000;
/** settle's own shutdown bound (SHUTDOWN_BOUND_MS, 25 s, in src/cli/shutdown.ts) plus a margin. */
const SIGTERM_EXIT_MS = 35_000;

/** One `settle` process the chaos run may kill with SIGKILL and start again. */
export class SettleProcess {
  private child?: ChildProcess;
  private retired = false;
  kills = 0;
  restarts = 0;
  lastOutput = '';

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: Record<string, string>,
  ) {}

  /** The operating-system process id of the current child, to tell "still the same process" from "restarted". */
  get pid(): number | undefined {
    return this.alive ? this.child!.pid : undefined;
  }

  /** A child that failed to spawn has no pid and never exits; it counts as dead. */
  get alive(): boolean {
    return this.child?.pid !== undefined && !hasExited(this.child);
  }

  start(): void {
    if (this.retired) return;
    const child = spawn(process.execPath, [CLI, ...this.args], { env: { PATH: process.env.PATH ?? '', ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    // Both streams: the logs (warnings and errors at the chaos run's LOG_LEVEL) are on stdout, crashes on stderr.
    const keep = (d: Buffer | string) => {
      this.lastOutput = (this.lastOutput + d.toString()).slice(-4000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('error', (err) => keep(`\n[chaos] ${this.name}: ${err.message}\n`));
    this.child = child;
  }

  /** Starts the process unless it runs; a restart scheduled after a kill may find it started already. */
  ensureRunning(): void {
    if (this.alive || this.retired) return;
    this.start();
    this.restarts++;
  }

  async kill9(): Promise<void> {
    if (!this.alive) return;
    const child = this.child!;
    child.kill('SIGKILL');
    this.kills++;
    if (!(await exitsWithin(child, KILL_EXIT_MS))) {
      throw new Error(`gave up after ${seconds(KILL_EXIT_MS)} waiting for ${this.name} (pid ${child.pid}) to exit after SIGKILL`);
    }
  }

  /** Kills the process for good: no scheduled restart brings it back after the run. */
  async retire(): Promise<void> {
    this.retired = true;
    await this.kill9();
  }

  /**
   * SIGTERM, as an orchestrator would; resolves with how the process ended ("exit 0" is the only good answer). One
   * still running after SIGTERM_EXIT_MS is SIGKILLed and reported as such.
   */
  async stop(): Promise<string> {
    if (!this.alive) return `had already ended (${endOf(this.child)})`;
    const child = this.child!;
    child.kill('SIGTERM');
    if (await exitsWithin(child, SIGTERM_EXIT_MS)) return endOf(child);
    await this.kill9();
    return `no exit within ${seconds(SIGTERM_EXIT_MS)} of SIGTERM (SIGKILLed)`;
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function endOf(child: ChildProcess | undefined): string {
  if (!child || child.pid === undefined) return 'never started';
  return child.signalCode ? `killed by ${child.signalCode}` : `exit ${child.exitCode}`;
}

/** Whether the child exits within `ms`; true at once for one that exited before the call (its 'exit' event is past). */
function exitsWithin(child: ChildProcess, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (hasExited(child)) return resolve(true);
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const up = await pollUntil(url, () => fetch(url, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false), timeoutMs, 200);
  if (!up) throw new Error(`${url} did not answer 2xx within ${seconds(timeoutMs)}`);
}
