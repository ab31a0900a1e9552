import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import type { AssetStore, StoredAsset } from './types.js';

export interface LocalAssetStore extends AssetStore {
  /** Opens a stored asset for serving; null when the key is unknown or escapes the storage directory. */
  open(key: string): Promise<{ body: Readable; size: number } | null>;
}

/** A file the provider declared at most this large is read whole and written in one call, not through a stream. */
const WHOLE_FILE_BYTES = 256 * 1024;

export function createLocalStore(rootDir: string, publicUrl: string): LocalAssetStore {
  const root = resolve(rootDir);
  const pathOf = (key: string): string | null => {
    const path = resolve(root, key);
    return path.startsWith(root + sep) ? path : null;
  };
  return {
    kind: 'local',
    async put(key: string, body: Readable, _contentType?: string, declaredSize?: number): Promise<StoredAsset> {
      const path = pathOf(key);
      if (!path) throw new Error(`Invalid asset key ${key}`);
      await mkdir(dirname(path), { recursive: true });
      // Write aside, then rename: a reader never sees half a file, and a rewrite replaces it whole.
      const partial = `${path}.${randomUUID()}.partial`;
      const size = await writeAside(partial, body, declaredSize);
      await rename(partial, path);
      return { key, size };
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

/** Writes the body to `partial`; returns the bytes written. */
async function writeAside(partial: string, body: Readable, declaredSize: number | undefined): Promise<number> {
  if (declaredSize !== undefined && declaredSize <= WHOLE_FILE_BYTES) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    const data = Buffer.concat(chunks);
    await writeFile(partial, data);
    return data.length;
  }
  const file = createWriteStream(partial);
  await pipeline(body, file);
  return file.bytesWritten;
}
