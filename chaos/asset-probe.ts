import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../src/db/index.js';
import { taskIdOfAssetKey } from '../src/storage/index.js';
import type { AssetProbe } from './provider-invariants.js';

/**
 * Asks the API for every file that appears in local storage, as a caller who learnt its key would: a file is written
 * before its task completes (and may stay when a cancel or a fence wins), so the window in which it must not be served
 * is exactly while it is new. Each file is asked for once as soon as it is seen, and every file once more at the end.
 */
export function startAssetProbe(storageDir: string, apiUrls: string[], db: Db, everyMs: number) {
  const probes: AssetProbe[] = [];
  const seen = new Set<string>();
  let unanswered = 0;
  let running = true;
  const sweep = async (all: boolean) => {
    for (const key of await storedKeys(storageDir)) {
      if (!all && seen.has(key)) continue;
      seen.add(key);
      // A process just killed answers nothing: the other one is asked; when neither answers, that is counted, and the
      // file is asked for again at the end.
      const first = probes.length % apiUrls.length;
      const probe = await probeOnce(key, apiUrls[first]!, db)
        .catch(() => probeOnce(key, apiUrls[(first + 1) % apiUrls.length]!, db))
        .catch(() => void unanswered++);
      if (probe) probes.push(probe);
    }
  };
  const loop = (async () => {
    while (running) {
      await sweep(false);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    /** Stops the sweeps of the run, then asks for every file once more (while the API still runs): every probe made. */
    async finish(): Promise<ProbeResult> {
      running = false;
      await loop;
      await sweep(true);
      return { probes, unanswered, keys: await storedKeys(storageDir) };
    },
  };
}

export interface ProbeResult {
  probes: AssetProbe[];
  /** Requests that got no answer (a process killed under them). */
  unanswered: number;
  /** Every file in storage at the end. */
  keys: string[];
}

async function probeOnce(key: string, apiUrl: string, db: Db): Promise<AssetProbe | undefined> {
  const taskId = taskIdOfAssetKey(key);
  if (!taskId) return undefined;
  const res = await fetch(`${apiUrl}/${key}`, { signal: AbortSignal.timeout(10_000) });
  await res.body?.cancel();
  // Read after the answer: a task never leaves `completed`, so a 200 for a task read as not completed was served early.
  const { rows } = await db.query<{ status: string; late_result: boolean }>('SELECT status, late_result FROM tasks WHERE id = $1', [taskId]);
  return { key, taskId, status: res.status, taskStatus: rows[0]?.status ?? null, lateResult: rows[0]?.late_result ?? false };
}

/** Every finished file in the local store (`<STORAGE_DIR>/<2 hex>/<name>`), by its key. */
async function storedKeys(storageDir: string): Promise<string[]> {
  const keys: string[] = [];
  for (const prefix of (await readdir(storageDir).catch(() => [])).filter((n) => /^[0-9a-f]{2}$/.test(n))) {
    for (const name of await readdir(join(storageDir, prefix)).catch(() => [])) {
      if (!name.endsWith('.partial')) keys.push(`assets/${prefix}/${name}`);
    }
  }
  return keys;
}

/** Files in storage that no task links: an ingest whose completion never committed, or a fenced-out one not deleted. */
export async function unlinkedFiles(db: Db, keys: string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM unnest($1::text[]) AS k(key) WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE k.key = ANY (t.asset_keys))`,
    [keys],
  );
  return rows[0]!.n;
}
