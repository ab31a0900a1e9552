import { extname } from 'node:path';
import { assetKey } from '../storage/index.js';
import type { TaskDeps, TaskRow } from './types.js';

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

/**
 * Streams every result file from the provider into storage under deterministic keys. Storing before settling
 * means a crash in between only leaves a file that the next attempt overwrites.
 */
export async function ingestResults(deps: TaskDeps, task: TaskRow, resultUrls: string[]): Promise<string[]> {
  const provider = deps.providers.get(task.provider);
  const keys: string[] = [];
  for (const [index, url] of resultUrls.entries()) {
    const download = await provider.download(url);
    const key = assetKey(task.id, index, extensionFor(url, download.contentType, task.type));
    await deps.store.put(key, download.body, download.contentType, download.contentLength);
    keys.push(key);
  }
  return keys;
}
