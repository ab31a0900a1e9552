import { extname } from 'node:path';
import { assetKey } from '../storage/index.js';
import { fencedGroupCommit } from './groupCommit.js';
import { recordIngestKeys, renewLease, type IngestKey } from './sql/fencedUpdates.js';
import type { ClaimedTask, TaskDeps, TaskRow } from './types.js';

const EXTENSIONS: Record<string, string> = {
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'video/quicktime': 'mov',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
};

function extensionFor(url: string, contentType: string | undefined, type: TaskRow['type']): string {
  const fromType = contentType ? EXTENSIONS[contentType.split(';')[0]!.trim()] : undefined;
  if (fromType) return fromType;
  const fromUrl = extname(new URL(url).pathname).slice(1).toLowerCase();
  if (/^[a-z0-9]{2,5}$/.test(fromUrl)) return fromUrl;
  return type === 'video' ? 'mp4' : 'png';
}

/** The ingest's holder lost its lease: another path owns the task now, and this one must not write. */
export class LeaseLostError extends Error {
  constructor(readonly taskId: string) {
    super(`lost the lease on task ${taskId} during the result download`);
    this.name = 'LeaseLostError';
  }
}

/** Key records per statement at most. */
const MAX_GROUP = 200;

/** The key records of concurrent ingests share one fenced statement (group commit); each row keeps its own lease. */
const ingestKeysOf = fencedGroupCommit<IngestKey>(recordIngestKeys, { maxGroup: MAX_GROUP });

/**
 * Streams every result file from the provider into storage, each under a key nobody can derive from the task id
 * (a random part per file). With a claim, the lease is renewed as each download's answer arrives (with its key, in
 * one write) and every TASK_LEASE_MS / 3 during it, and a download whose lease cannot be renewed is aborted
 * (LeaseLostError) before anything of it is stored: a long download is never
 * taken over and fetched again by another path. On any failure the files already stored are deleted, and the caller
 * deletes them too if its completion is fenced out, so a file is only ever kept when a settled task links it. Each
 * key is recorded on the task before its file is stored (recordIngestKeys): if this process dies before the completion,
 * the next holder deletes the file (deleteLeftoverFiles), here at the start of a re-ingest.
 */
export async function ingestResults(deps: TaskDeps, task: TaskRow, resultUrls: string[], claim?: ClaimedTask): Promise<string[]> {
  const keeper = claim ? keepLease(deps, claim) : undefined;
  const keys: string[] = [];
  if (claim) await deleteLeftoverFiles(deps, claim.task);
  try {
    for (const [index, url] of resultUrls.entries()) {
      keeper?.check();
      const download = await deps.providers.get(task.provider).download(url, { signal: keeper?.signal });
      const key = assetKey(task.id, index, extensionFor(url, download.contentType, task.type));
      await keeper?.record(key, index === 0);
      await deps.store.put(key, download.body, download.contentType, download.contentLength);
      keys.push(key);
    }
    keeper?.check();
    return keys;
  } catch (err) {
    await deleteAssets(deps, keys);
    if (keeper?.lost) throw new LeaseLostError(task.id);
    throw err;
  } finally {
    keeper?.stop();
  }
}

/** Deletes stored files no task will link; a failure is logged (the audit lists unlinked files). */
export async function deleteAssets(deps: TaskDeps, keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    await deps.store.delete(key).catch((err: unknown) => deps.logger.warn({ err, key }, 'could not delete an unlinked result file'));
  }
}

/** Deletes the files an ingest that never completed left behind: recorded on the task, and not linked by it. */
export async function deleteLeftoverFiles(deps: TaskDeps, task: TaskRow): Promise<void> {
  await deleteAssets(deps, task.ingest_keys.filter((key) => !task.asset_keys.includes(key)));
}

interface LeaseKeeper {
  signal: AbortSignal;
  readonly lost: boolean;
  /** Renews now and records the key of the file about to be stored; throws LeaseLostError when the lease is gone. */
  record(key: string, first: boolean): Promise<void>;
  /** Throws LeaseLostError if a renewal has failed meanwhile. */
  check(): void;
  stop(): void;
}

function keepLease(deps: TaskDeps, claim: ClaimedTask): LeaseKeeper {
  const aborter = new AbortController();
  const { id } = claim.task;
  const held = async (renewal: Promise<boolean>) => {
    if (await renewal) return;
    aborter.abort(new LeaseLostError(id));
    throw new LeaseLostError(id);
  };
  const renew = async () => {
    if (aborter.signal.aborted) throw new LeaseLostError(id);
    await held(renewLease(deps.db, id, claim.lease, deps.leaseMs));
  };
  const timer = setInterval(() => {
    renew().catch((err: unknown) => {
      if (!(err instanceof LeaseLostError)) deps.logger.warn({ err, taskId: id }, 'lease renewal failed; retrying at the next interval');
    });
  }, Math.max(100, Math.floor(deps.leaseMs / 3)));
  timer.unref();
  return {
    signal: aborter.signal,
    get lost() {
      return aborter.signal.aborted;
    },
    record: (key, first) => held(ingestKeysOf(deps.db).run({ taskId: id, lease: claim.lease, leaseMs: deps.leaseMs, key, first })),
    check() {
      if (aborter.signal.aborted) throw new LeaseLostError(id);
    },
    stop: () => clearInterval(timer),
  };
}
