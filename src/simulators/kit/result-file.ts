import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { TaskType } from '../../providers/types.js';

const CHUNK_BYTES = 64 * 1024;

// Real magic numbers, so anything sniffing the file type sees an mp4 / png.
const MAGIC: Record<TaskType, Buffer> = {
  video: Buffer.from('000000186674797069736f6d0000020069736f6d6d703431', 'hex'),
  image: Buffer.from('89504e470d0a1a0a', 'hex'),
};

/**
 * A result file of `size` bytes, identical on every download of the same task, generated chunk by chunk as the
 * reader pulls: a 200 MB file costs one 64 KiB chunk of memory at a time.
 */
export function resultFileStream(providerTaskId: string, type: TaskType, size: number, delayMs: number): Readable {
  const pattern = patternFor(providerTaskId, Math.min(size, CHUNK_BYTES));
  let offset = 0;
  let delay: NodeJS.Timeout | undefined;
  const pushNext = (stream: Readable) => {
    if (offset >= size) return void stream.push(null);
    const chunk = chunkAt(pattern, offset / CHUNK_BYTES, Math.min(CHUNK_BYTES, size - offset), type);
    offset += chunk.length;
    stream.push(chunk);
  };
  return new Readable({
    read() {
      if (offset > 0 || delayMs === 0) return pushNext(this);
      delay ??= setTimeout(() => pushNext(this), delayMs);
    },
    destroy(err, callback) {
      clearTimeout(delay);
      callback(err);
    },
  });
}

/** A result file of at most 64 KiB, whole: the same bytes the stream gives, without a stream per download. */
export function smallResultFile(providerTaskId: string, type: TaskType, size: number): Buffer | null {
  if (size > CHUNK_BYTES) return null;
  return chunkAt(patternFor(providerTaskId, size), 0, size, type);
}

/** Up to 64 KiB of bytes derived from the task id (SHA-256 in counter mode); a small file hashes only what it needs. */
function patternFor(providerTaskId: string, length: number): Buffer {
  const pattern = Buffer.alloc(Math.ceil(length / 32) * 32);
  for (let block = 0; block * 32 < length; block++) {
    createHash('sha256').update(`${providerTaskId}:${block}`).digest().copy(pattern, block * 32);
  }
  return pattern;
}

function chunkAt(pattern: Buffer, index: number, length: number, type: TaskType): Buffer {
  const chunk = Buffer.from(pattern.subarray(0, length));
  // The chunk index makes chunks differ from each other, so a reordered or repeated chunk changes the file's hash.
  if (length >= 32) chunk.writeUInt32BE(index, 28);
  if (index === 0) MAGIC[type].copy(chunk, 0, 0, Math.min(length, MAGIC[type].length));
  return chunk;
}
