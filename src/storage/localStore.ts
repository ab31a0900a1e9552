import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import type { AssetStore, StoredAsset } from './types.js';

export interface LocalAssetStore extends AssetStore {
  /** Opens a stored asset for serving; null when the key is unknown or escapes the storage directory. */
  open(key: string): Promise<{ body: Readable; size: number } | null>;
}

export function createLocalStore(rootDir: string, publicUrl: string): LocalAssetStore {
  const root = resolve(rootDir);
  const pathOf = (key: string): string | null => {
    const path = resolve(root, key);
    return path.startsWith(root + sep) ? path : null;
  };
  return {
    kind: 'local',
    async put(key: string, body: Readable): Promise<StoredAsset> {
      const path = pathOf(key);
      if (!path) throw new Error(`Invalid asset key ${key}`);
      await mkdir(dirname(path), { recursive: true });
      // Write aside, then rename: a reader never sees half a file, and a rewrite replaces it whole.
      const partial = `${path}.${randomUUID()}.partial`;
      const file = createWriteStream(partial);
      await pipeline(body, file);
      await rename(partial, path);
      return { key, size: file.bytesWritten };
    },
    async url(key: string) {
      return `${publicUrl}/${key}`;
    },
    async open(key: string) {
      const path = pathOf(key);
      if (!path) return null;
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) return null;
      return { body: createReadStream(path), size: info.size };
    },
  };
}
