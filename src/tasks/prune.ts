import type { Queryable } from '../db/index.js';
import type { AssetStore } from '../storage/index.js';
import { markTasksPruned } from './sql/markTasksPruned.js';
import { findPrunableTasks, type PrunableTask } from './sql/prunableTasks.js';

export interface PruneOptions {
  /** Finished longer ago than this. */
  olderThanMs: number;
  /** Tasks per batch: one find, their files, one update. */
  batchSize?: number;
  /** Count what would go; change nothing. */
  dryRun?: boolean;
  /** Called after each batch with the totals so far. */
  onBatch?: (totals: PruneResult) => void;
}

export interface PruneResult {
  olderThanMs: number;
  dryRun: boolean;
  tasks: number;
  files: number;
  batches: number;
}

const DEFAULT_BATCH = 500;
/** Files removed at once: enough to hide a bucket's latency, few enough not to crowd a running instance. */
const FILE_CONCURRENCY = 16;

/**
 * Retention (DESIGN section 14): removes the stored files and empties the inputs of tasks finished longer ago than
 * olderThanMs, in bounded batches. Files go first, then the links: a run stopped in between leaves links to files
 * that are gone (harmless, and the next run finishes the task), never a stored file no task links.
 */
export async function pruneTasks(db: Queryable, store: AssetStore, options: PruneOptions): Promise<PruneResult> {
  const limit = options.batchSize ?? DEFAULT_BATCH;
  const dryRun = options.dryRun ?? false;
  const totals: PruneResult = { olderThanMs: options.olderThanMs, dryRun, tasks: 0, files: 0, batches: 0 };
  let after = null;
  for (;;) {
    const batch = await findPrunableTasks(db, { olderThanMs: options.olderThanMs, limit, after: dryRun ? after : null });
    if (batch.tasks.length === 0) return totals;
    if (!dryRun) await removeFiles(store, batch.tasks);
    const pruned = dryRun ? batch.tasks.map((t) => t.id) : await markTasksPruned(db, batch.tasks.map((t) => t.id));
    const done = new Set(pruned);
    totals.tasks += done.size;
    totals.files += batch.tasks.filter((t) => done.has(t.id)).reduce((n, t) => n + t.assetKeys.length, 0);
    totals.batches += 1;
    options.onBatch?.({ ...totals });
    after = batch.last;
    // A batch someone else took meanwhile (leased, or pruned by another run) ends this run rather than spin on it.
    if (batch.tasks.length < limit || done.size === 0) return totals;
  }
}

async function removeFiles(store: AssetStore, tasks: PrunableTask[]): Promise<void> {
  const keys = tasks.flatMap((t) => t.assetKeys);
  for (let i = 0; i < keys.length; i += FILE_CONCURRENCY) {
    await Promise.all(keys.slice(i, i + FILE_CONCURRENCY).map((key) => store.delete(key)));
  }
}
