import pLimit from 'p-limit';
import { setTimeout as sleep } from 'node:timers/promises';
import { advanceClaimed, claimDueTasks, newLease, releaseLeases, type TaskDeps, type TaskRow } from '../tasks/index.js';

export interface WorkerOptions {
  /** Tasks advanced at once (WORKER_CONCURRENCY). */
  concurrency: number;
  /** Claimed tasks waiting for a free slot, on top of the running ones (default: concurrency). */
  prefetch?: number;
  /** Pause when nothing is due (default: the smaller of 250 ms and WORKER_POLL_MIN_MS). */
  idleMs?: number;
}

export interface Worker {
  /**
   * Stops claiming, gives back claimed tasks not yet started, and waits for the running ones (the composition root
   * bounds the wait: app/stopWithin).
   */
  stop(): Promise<void>;
}

/** Longest pause after the database failed, so a restart of it is noticed soon. */
const MAX_ERROR_PAUSE_MS = 5_000;

/**
 * The continuous worker: claims due tasks (next_check_at <= now, SKIP LOCKED, so any number of workers share the
 * load), and advances them with bounded concurrency: pending ones are dispatched through the provider rate limit,
 * processing ones are checked and settled. The per-task backoff (next_check_at) is advance's; the worker only
 * decides when to look again.
 */
export function startWorker(deps: TaskDeps, options: WorkerOptions): Worker {
  const limit = pLimit({ concurrency: options.concurrency, rejectOnClear: true });
  const prefetch = options.prefetch ?? options.concurrency;
  const capacity = options.concurrency + prefetch;
  const refillAt = Math.max(1, Math.ceil(prefetch / 2));
  const idleMs = options.idleMs ?? Math.min(250, deps.pollMinMs);
  const waiting = new Map<string, string>(); // claimed, not started: task id -> lease
  const running = new Set<Promise<void>>();
  const wake = new AbortController();
  let stopping = false;

  const advanceOne = async (task: TaskRow, lease: string): Promise<void> => {
    waiting.delete(task.id);
    try {
      const outcome = await advanceClaimed(deps, { task, lease }, 'worker');
      deps.logger.debug({ taskId: task.id, outcome }, 'worker advanced task');
    } catch (err) {
      // Isolated: the task's lease expires and the next claim tries again.
      deps.logger.error({ err, taskId: task.id }, 'worker failed to advance a task');
    }
  };

  let taskFinished: (() => void) | undefined;
  /** Resolves when the next task finishes: the loop's cue that there is room to claim again. */
  const nextFinish = () => new Promise<void>((resolve) => (taskFinished = resolve));

  const enqueue = (task: TaskRow, lease: string): void => {
    waiting.set(task.id, lease);
    const job = limit(() => {
      const started = advanceOne(task, lease);
      running.add(started);
      return started.finally(() => {
        running.delete(started);
        taskFinished?.();
      });
    });
    job.catch(() => undefined); // rejected only by clearQueue on stop; its lease is given back there
  };

  /**
   * Waits `ms`, until stop, or until `until` settles; the timer and the listener on `wake` end with the wait,
   * so a loop that wakes often on finishing tasks does not pile up sleeping timers.
   */
  const pause = async (ms: number, until?: Promise<void>): Promise<void> => {
    if (wake.signal.aborted) return;
    const done = new AbortController();
    const onWake = () => done.abort();
    wake.signal.addEventListener('abort', onWake, { once: true });
    try {
      const slept = sleep(ms, undefined, { signal: done.signal }).catch(() => undefined);
      await (until ? Promise.race([until, slept]) : slept);
    } finally {
      done.abort();
      wake.signal.removeEventListener('abort', onWake);
    }
  };

  const loop = async (): Promise<void> => {
    let failures = 0;
    while (!stopping) {
      // Counted from our own sets, exact at every step (p-limit counts a queued job as active a microtask late).
      const room = capacity - waiting.size - running.size;
      // While claimed tasks still wait for a slot, claim only in bulk: one claim per finished task would make the
      // claim query, not the tasks, the worker's main cost.
      if (room <= 0 || (waiting.size > 0 && room < refillAt)) {
        await pause(idleMs, nextFinish());
        continue;
      }
      try {
        const lease = newLease(deps);
        const tasks = await claimDueTasks(deps.db, lease, deps.leaseMs, room, deps.userMaxActiveTasks);
        failures = 0;
        for (const task of tasks) enqueue(task, lease);
        if (tasks.length === 0) await pause(idleMs);
      } catch (err) {
        failures++;
        deps.logger.error({ err }, 'worker could not claim due tasks');
        await pause(Math.min(MAX_ERROR_PAUSE_MS, idleMs * 2 ** failures));
      }
    }
  };

  const looping = loop();
  deps.logger.info({ concurrency: options.concurrency, idleMs }, 'worker started');

  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    stopping = true;
    wake.abort();
    await looping;
    limit.clearQueue();
    await giveBack(deps, waiting);
    await Promise.allSettled([...running]);
    deps.logger.info('worker stopped');
  };
  return { stop: () => (stopped ??= stop()) };
}

/** Claimed tasks that never started go back at once instead of waiting out their leases. */
async function giveBack(deps: TaskDeps, waiting: Map<string, string>): Promise<void> {
  const byLease = new Map<string, string[]>();
  for (const [taskId, lease] of waiting) byLease.set(lease, [...(byLease.get(lease) ?? []), taskId]);
  waiting.clear();
  for (const [lease, taskIds] of byLease) {
    await releaseLeases(deps.db, taskIds, lease).catch((err: unknown) =>
      deps.logger.warn({ err, count: taskIds.length }, 'could not release leases; they expire on their own'),
    );
  }
}
