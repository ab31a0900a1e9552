import type { Readable } from 'node:stream';

export interface StoredAsset {
  key: string;
  size: number;
}

/** Where result files live. Keys are deterministic (`assets/<taskId>/<n>.<ext>`), so writing one again is harmless. */
export interface AssetStore {
  readonly kind: 'local' | 's3';
  /** `declaredSize` is the length the provider announced, when it did; a hint, never trusted as the size stored. */
  put(key: string, body: Readable, contentType?: string, declaredSize?: number): Promise<StoredAsset>;
  /** A URL the end user can download the asset from. */
  url(key: string): Promise<string>;
}

export function assetKey(taskId: string, index: number, extension: string): string {
  return `assets/${taskId}/${index}.${extension}`;
}
