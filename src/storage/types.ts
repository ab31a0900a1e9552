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
  /** Removes the stored object; a key with nothing stored is not an error. */
  delete(key: string): Promise<void>;
}

export function assetKey(taskId: string, index: number, extension: string): string {
  return `assets/${taskId.slice(0, 2)}/${taskId}-${index}.${extension}`;
}
