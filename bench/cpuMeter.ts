import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * CPU time per operation of every process behind a measurement, read from /proc (Linux): it says where the time
 * goes, and how many operations per second the machine's cores could do at that cost whatever the wall clock
 * showed. PostgreSQL is counted only for a server on this machine (its backends, plus those already exited, which
 * the postmaster has reaped into its children's time).
 */
export interface CpuMeter {
  /** Figures `CPU ms/op <who>`, the total, and the rate the cores allow at that total. Empty without /proc, or
   * when the run was too short to register. */
  stop(operations: number): Record<string, number>;
}

export interface MeteredProcesses {
  /** This process's own role in the measurement (the load generator, or Settle itself when in-process). */
  self: string;
  children: Record<string, number | undefined>;
  postgres: boolean;
}

export function startCpuMeter(processes: MeteredProcesses): CpuMeter {
  const ticksPerSecond = clockTicks();
  const read = (): Record<string, number> | null => {
    if (ticksPerSecond === null) return null;
    const ms: Record<string, number> = { [processes.self]: selfMs() };
    for (const [who, pid] of Object.entries(processes.children)) if (pid) ms[who] = ticksOf(pid) * (1000 / ticksPerSecond);
    if (processes.postgres) ms.postgres = postgresTicks() * (1000 / ticksPerSecond);
    return ms;
  };
  const before = read();
  return {
    stop(operations) {
      const after = read();
      if (!before || !after || operations <= 0) return {};
      const figures: Record<string, number> = {};
      let total = 0;
      for (const who of Object.keys(after)) {
        const perOp = (after[who]! - (before[who] ?? 0)) / operations;
        figures[`CPU ms/op ${who}`] = round(perOp);
        total += perOp;
      }
      // Clock ticks are 10 ms: a run too short to register any says nothing.
      if (total <= 0) return {};
      figures['CPU ms/op total'] = round(total);
      figures[`ops/s ${availableParallelism()} cores allow`] = Math.round((availableParallelism() * 1000) / total);
      return figures;
    },
  };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

function selfMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function clockTicks(): number | null {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || null;
  } catch {
    return null;
  }
}

/** utime + stime + cutime + cstime of one process, in clock ticks (0 once it is gone). */
function ticksOf(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may contain spaces, start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  } catch {
    return 0;
  }
}

function postgresTicks(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    if (commandOf(pid) === 'postgres') ticks += ticksOf(pid);
  }
  return ticks;
}

function commandOf(pid: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
