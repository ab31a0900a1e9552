import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface StoredAsset {
  key: string;
  size: number;
}

/**
 * Where result files live. Keys are deterministic (`assets/<first two characters of the task id>/<taskId>-<n>.<ext>`),
 * so writing one again is harmless. The 256 shared prefixes spare a directory per task: on the local disk a new
 * directory cost more than the file in it (the bench's store section).
 */
export interface AssetStore {
  readonly kind: 'local' | 's3';
  /** `declaredSize` is the length the provider announced, when it did; a hint, never trusted as the size stored. */
  put(key: string, body: Readable, contentType?: string, declaredSize?: number): Promise<StoredAsset>;
  /** A URL the end user can download the asset from. */
  url(key: string): Promise<string>;
  /** Removes a stored file; a key with nothing stored is not an error. */
  delete(key: string): Promise<void>;
  /** Every stored asset key (audits compare them with the keys tasks link). */
  list(): AsyncIterable<string>;
}

/**
 * A new key for a result file: the task id (an operator can tell whose file it is) plus a random part nobody can
 * derive from it, so a file is reachable only through the link its settled task gives out. The first characters of
 * the random part pick one of 256 shared prefix directories.
 */
export function assetKey(taskId: string, index: number, extension: string): string {
  // A UUID's 122 random bits come from a buffered pool: a quarter of randomBytes(16)'s cost (0.9 against 3.9 µs).
  const random = randomUUID().replaceAll('-', '');
  return `assets/${random.slice(0, 2)}/${taskId}-${index}-${random}.${extension}`;
}

/**
 * The task a key names: `assets/<prefix>/<taskId>-<n>-<random>.<ext>`, or the derivable `assets/<prefix>/<taskId>-<n>.<ext>`
 * of files stored before keys had a random part; null for anything else.
 */
export function taskIdOfAssetKey(key: string): string | null {
  const match = /^assets\/[0-9a-f]{2}\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-\d+(-[0-9a-f]{32})?\.[a-z0-9]{2,5}$/.exec(key);
  return match ? match[1]! : null;
}
