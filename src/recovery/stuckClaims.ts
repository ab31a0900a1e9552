import { claimStuckTasks, newLease, type ClaimedTask, type StuckTask, type TaskDeps } from '../tasks/index.js';

/**
 * Claims a run's stuck tasks a chunk at a time, as the run reaches them: one statement per chunk instead of one
 * per task, while no lease is taken long before its task is worked on (a lease taken for a whole batch up front
 * could run out behind slow downloads). Tasks are expected in the order found; one that comes early still works.
 */
export function chunkedStuckClaims(
  deps: TaskDeps,
  rows: readonly StuckTask[],
  options: { chunk: number; stuckAfterMs: number },
): (taskId: string) => Promise<ClaimedTask | null> {
  const eligible = rows.filter((r) => !r.lease_live).map((r) => r.id);
  const claims = new Map<string, Promise<Map<string, ClaimedTask>>>();
  let next = 0;
  const claimNextChunk = (): void => {
    const ids = eligible.slice(next, next + options.chunk);
    next += ids.length;
    const lease = newLease(deps);
    const claimed = claimStuckTasks(deps.db, ids, lease, deps.leaseMs, options.stuckAfterMs).then(
      (tasks) => new Map(tasks.map((task) => [task.id, { task, lease }])),
    );
    for (const id of ids) claims.set(id, claimed);
  };
  return async (taskId) => {
    while (!claims.has(taskId) && next < eligible.length) claimNextChunk();
    const chunk = claims.get(taskId);
    return chunk ? ((await chunk).get(taskId) ?? null) : null;
  };
}
