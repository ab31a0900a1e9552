import type { Acceptance, SimLog } from '../src/simulators/index.js';
import type { Db } from '../src/db/index.js';

/**
 * The hostile mode's invariants, counted where a hostile provider and a caller see them: at the simulator (provider
 * tasks created per Settle task), at the asset route (what was served), and against each task's own deadline. The
 * checks are pure functions of what was counted, so a test can feed them crafted data and see them fail.
 */
export interface ProviderVerdict {
  violations: string[];
  figures: Record<string, number>;
}

export interface TaskAttempts {
  id: string;
  /** createTask calls Settle counted for the task (an answered refusal gives its attempt back). */
  attempts: number;
}

/**
 * At most one provider task per Settle attempt. Every createTask that may create a provider task counts an attempt
 * before it leaves, and one sent again after DISPATCH_DOUBT_MS is a new attempt; so a task with more provider tasks
 * at the simulator than attempts in the database had a second provider task made for one attempt.
 */
export function extraProviderTasks(settleTasks: Record<string, Acceptance[]>, tasks: readonly TaskAttempts[]): string[] {
  const attempts = new Map(tasks.map((t) => [t.id, t.attempts]));
  const violations: string[] = [];
  for (const [taskId, accepted] of Object.entries(settleTasks)) {
    const allowed = attempts.get(taskId);
    if (allowed === undefined) violations.push(`the provider created ${accepted.length} task(s) for ${taskId}, which Settle does not have`);
    else if (accepted.length > allowed) violations.push(`task ${taskId} has ${accepted.length} provider tasks for ${allowed} attempt(s)`);
  }
  return violations;
}

/** One GET /assets/... the probe made, and the task's state read right after the answer. */
export interface AssetProbe {
  key: string;
  taskId: string;
  status: number;
  /** The task's status read after the answer: a task never leaves `completed`, so this cannot hide a violation. */
  taskStatus: string | null;
  lateResult: boolean;
}

/** No file served for a task that has not delivered it: served means completed, or a late result (given free). */
export function servedUndelivered(probes: readonly AssetProbe[]): string[] {
  return probes
    .filter((p) => p.status === 200 && p.taskStatus !== 'completed' && !p.lateResult)
    .map((p) => `/${p.key} was served while its task ${p.taskId} was ${p.taskStatus ?? 'missing'}`);
}

export interface SettledTask {
  id: string;
  status: string;
  /** The deadline of its last phase (pending: PENDING_DEADLINE_MS; processing: the model's timeout). */
  deadlineAt: number | null;
  /** When it became terminal; null while live. */
  settledAt: number | null;
}

export interface DeadlineBound {
  /** One cleanup tick, plus what the cleanup may need to settle (its provider call, a download in progress). */
  graceMs: number;
  /** A SIGKILLed process may hold the task's lease: a kill within this long before the bound extends it by as much. */
  leaseMs: number;
  kills: readonly number[];
  /** Tasks still live are judged against this time. */
  now: number;
}

/** Every task terminal by its deadline plus one cleanup tick (plus a held lease when a process was killed). */
export function lateSettlements(tasks: readonly SettledTask[], bound: DeadlineBound): { violations: string[]; latestMs: number } {
  const violations: string[] = [];
  let latestMs = 0;
  for (const t of tasks) {
    if (t.deadlineAt === null) continue;
    const settledAt = t.settledAt ?? bound.now;
    const lateMs = settledAt - t.deadlineAt;
    latestMs = Math.max(latestMs, lateMs);
    const killed = bound.kills.some((k) => k >= t.deadlineAt! - bound.leaseMs && k <= t.deadlineAt! + bound.graceMs);
    const allowedMs = bound.graceMs + (killed ? bound.leaseMs : 0);
    if (lateMs > allowedMs) {
      const what = t.settledAt === null ? `still ${t.status}` : `${t.status} only`;
      violations.push(`task ${t.id} was ${what} ${Math.round(lateMs / 1000)} s after its deadline (allowed ${Math.round(allowedMs / 1000)} s)`);
    }
  }
  return { violations, latestMs };
}

export interface ProviderInput {
  log: Pick<SimLog, 'settleTasks'> & Partial<Pick<SimLog, 'downloadsPerProviderTask'>>;
  tasks: readonly (TaskAttempts & SettledTask)[];
  probes: readonly AssetProbe[];
  /** Asset requests that got no answer (a process killed under them); the file was asked for again at the end. */
  unansweredProbes: number;
  bound: DeadlineBound;
  frozen: number;
  /** Files in storage that no task links (an ingest that never committed). */
  unlinkedFiles: number;
}

/** Every hostile-mode invariant, each named in its violations and counted in the figures (0 is the goal). */
export function checkProviderInvariants(input: ProviderInput): ProviderVerdict {
  const extra = extraProviderTasks(input.log.settleTasks, input.tasks);
  const served = servedUndelivered(input.probes);
  const late = lateSettlements(input.tasks, input.bound);
  const frozen = input.frozen === 0 ? [] : [`${input.frozen} credits are still frozen at the end`];
  const named = (invariant: string, found: string[]) => found.map((v) => `${invariant}: ${v}`);
  return {
    violations: [
      ...named('one provider task per attempt', extra),
      ...named('no file served for a task that is not completed', served),
      ...named('terminal by the deadline plus one cleanup tick', late.violations),
      ...named('frozen 0 at the end', frozen),
    ],
    figures: {
      'provider tasks created (at the simulator)': Object.values(input.log.settleTasks).reduce((n, a) => n + a.length, 0),
      // Not an invariant (a download cut by a SIGKILL is done again), but a download outrun by its lease shows here.
      'most downloads of one provider task': Object.values(input.log.downloadsPerProviderTask ?? {}).reduce((most, n) => Math.max(most, n), 0),
      'invariant: provider tasks beyond one per attempt': extra.length,
      'asset requests probed': input.probes.length,
      'asset requests unanswered (process killed)': input.unansweredProbes,
      'invariant: files served for a task not completed': served.length,
      'invariant: tasks settled past deadline + cleanup tick': late.violations.length,
      'latest settlement after its deadline, s': Math.round(late.latestMs / 1000),
      'files in storage no task links (known bug a)': input.unlinkedFiles,
    },
  };
}

/** The tasks as the hostile checks need them. */
export async function loadSettledTasks(db: Db): Promise<(TaskAttempts & SettledTask)[]> {
  const { rows } = await db.query<{ id: string; status: string; attempts: number; deadline_ms: number | null; settled_ms: number | null }>(
    `SELECT id, status, attempts, (extract(epoch FROM deadline_at) * 1000)::float8 AS deadline_ms,
            CASE WHEN status IN ('pending', 'processing') THEN NULL ELSE (extract(epoch FROM completed_at) * 1000)::float8 END AS settled_ms
       FROM tasks`,
  );
  return rows.map((r) => ({ id: r.id, status: r.status, attempts: r.attempts, deadlineAt: r.deadline_ms, settledAt: r.settled_ms }));
}
