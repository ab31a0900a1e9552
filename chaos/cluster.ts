import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

/** One `settle` process the chaos run may kill with SIGKILL and start again. */
export class SettleProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
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

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const child = spawn(process.execPath, [CLI, ...this.args], { env: { PATH: process.env.PATH ?? '', ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    // Both streams: the logs (warnings and errors at the chaos run's LOG_LEVEL) are on stdout, crashes on stderr.
    const keep = (d: Buffer) => {
      this.lastOutput = (this.lastOutput + d.toString()).slice(-4000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.child = child;
  }

  async kill9(): Promise<void> {
    if (!this.alive) return;
    this.child!.kill('SIGKILL');
    this.kills++;
    await this.exited;
  }

  async restart(): Promise<void> {
    await this.kill9();
    this.start();
    this.restarts++;
  }

  /** SIGTERM, as an orchestrator would; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (!this.alive) return this.child?.exitCode ?? null;
    const child = this.child!;
    child.kill('SIGTERM');
    await this.exited;
    return child.exitCode;
  }
}

export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not come up within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
