import { advanceTask, watchTasks, type TaskDeps, type WatchedTask } from '../../../tasks/index.js';

export type WatchListener = (task: WatchedTask | null) => void;

export interface TaskWatcher {
  /** Calls listener with the task's row after every change query (null once the task is gone); returns unsubscribe. */
  watch(taskId: string, listener: WatchListener): () => void;
  /** Tasks watched right now. */
  readonly size: number;
  /** Stops polling and waits for in-line advances already under way. */
  stop(): Promise<void>;
}

export interface WatcherOptions {
  pollMs: number;
  /** How long a live task may go without a provider check before the watcher asks (0: never). */
  nudgeMs: number;
}

/**
 * One watcher per process for every open event stream. While anything is watched it runs ONE query per pollMs for
 * all watched ids and hands each stream its row; with nothing watched it runs none.
 *
 * Why a change query and not LISTEN/NOTIFY or a trigger: a trigger on tasks would add work to every settlement on
 * the hot path, NOTIFY takes a global lock at commit that serialises committing transactions, and LISTEN needs a
 * dedicated connection per instance that must re-LISTEN after a database restart (and PGlite has no second
 * process). A primary-key lookup every 250 ms costs the same on PGlite and PostgreSQL, and sees a settlement made
 * by any process at the next poll.
 *
 * Progress only moves when someone asks the provider, so a watched live task that nobody checked for nudgeMs is
 * advanced in-line, exactly as a status poll would (the same guard, so several instances nudge it at most once).
 */
export function createTaskWatcher(deps: TaskDeps, options: WatcherOptions): TaskWatcher {
  const listeners = new Map<string, Set<WatchListener>>();
  const nudging = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let failing = false;
  let stopped = false;

  const schedule = () => {
    if (timer || stopped || listeners.size === 0) return;
    timer = setTimeout(() => {
      polling = tick()
        .catch((err: unknown) => deps.logger.error({ err }, 'task event watcher could not hand a row to its streams'))
        .finally(() => {
          polling = undefined;
          timer = undefined;
          schedule();
        });
    }, options.pollMs);
    timer.unref();
  };

  const tick = async () => {
    const ids = [...listeners.keys()];
    if (ids.length === 0) return;
    let rows: WatchedTask[];
    try {
      rows = await watchTasks(deps.db, ids, options.nudgeMs);
    } catch (err) {
      // Polled every pollMs: one warning per outage, not one per poll. The streams stay open on their heartbeats.
      if (!failing) deps.logger.warn({ err }, 'task event watcher query failed; retrying every poll until it works');
      failing = true;
      return;
    }
    if (failing) deps.logger.info('task event watcher query works again');
    failing = false;
    deliver(ids, rows);
  };

  const deliver = (ids: string[], rows: WatchedTask[]) => {
    const found = new Map(rows.map((row) => [row.id, row]));
    for (const id of ids) {
      const row = found.get(id) ?? null;
      for (const listener of listeners.get(id) ?? []) listener(row);
      if (row?.due) nudge(id);
    }
  };

  const nudge = (taskId: string) => {
    if (nudging.has(taskId) || stopped) return;
    const advance = advanceTask(deps, taskId, 'poll')
      .then(() => undefined)
      .catch((err: unknown) => deps.logger.warn({ err, taskId }, 'in-line advance for an event stream failed'))
      .finally(() => nudging.delete(taskId));
    nudging.set(taskId, advance);
  };

  return {
    watch(taskId, listener) {
      const set = listeners.get(taskId) ?? new Set();
      set.add(listener);
      listeners.set(taskId, set);
      schedule();
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(taskId);
      };
    },
    get size() {
      return listeners.size;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      listeners.clear();
      // A query already under way must end before the caller closes the database under it.
      await polling;
      await Promise.all(nudging.values());
    },
  };
}
