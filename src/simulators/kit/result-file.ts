import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { TaskType } from '../../providers/types.js';

const BLOCK_BYTES = 64 * 1024;

// Real magic numbers, so anything sniffing the file type sees an mp4 / png.
const MAGIC: Record<TaskType, Buffer> = {
  video: Buffer.from('000000186674797069736f6d0000020069736f6d6d703431', 'hex'),
  image: Buffer.from('89504e470d0a1a0a', 'hex'),
};

/** A result file that can hand out any range of its bytes without holding them all. */
export interface ResultFile {
  size: number;
  bytesAt(offset: number, length: number): Buffer;
}

/** The file as bytes in memory (a real media file). */
export function bufferFile(bytes: Buffer): ResultFile {
  return { size: bytes.length, bytesAt: (offset, length) => bytes.subarray(offset, offset + length) };
}

/**
 * A file of `size` bytes, identical on every download of the same task, generated 64 KiB block by block as the
 * reader pulls: a 200 MB file costs one block of memory at a time.
 */
export function generatedFile(providerTaskId: string, type: TaskType, size: number): ResultFile {
  const pattern = patternFor(providerTaskId, Math.min(size, BLOCK_BYTES));
  let cached: { index: number; block: Buffer } | undefined;
  const blockAt = (index: number): Buffer => {
    if (cached?.index !== index) cached = { index, block: block(pattern, index, Math.min(BLOCK_BYTES, size - index * BLOCK_BYTES), type) };
    return cached.block;
  };
  return {
    size,
    bytesAt(offset, length) {
      const parts: Buffer[] = [];
      for (let at = offset; at < offset + length; ) {
        const index = Math.floor(at / BLOCK_BYTES);
        const start = at - index * BLOCK_BYTES;
        const part = blockAt(index).subarray(start, start + offset + length - at);
        parts.push(part);
        at += part.length;
      }
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    },
  };
}

export interface Pace {
  /** Delay before the body starts. */
  delayMs: number;
  /** null: as fast as the reader pulls. */
  bytesPerSecond: number | null;
}

/** The file's bytes as the response body: whole when small and unpaced, else a stream at the given pace. */
export function resultBody(file: ResultFile, pace: Pace): Buffer | Readable {
  if (pace.delayMs === 0 && pace.bytesPerSecond === null && file.size <= BLOCK_BYTES) return file.bytesAt(0, file.size);
  return pacedStream(file, pace);
}

function pacedStream(file: ResultFile, { delayMs, bytesPerSecond }: Pace): Readable {
  // About ten chunks a second on a slow link, so the pace is smooth; full blocks otherwise.
  const chunkBytes = bytesPerSecond === null ? BLOCK_BYTES : Math.min(BLOCK_BYTES, Math.max(1, Math.floor(bytesPerSecond / 10)));
  let offset = 0;
  let startedAt: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const push = (stream: Readable) => {
    timer = undefined;
    const chunk = file.bytesAt(offset, Math.min(chunkBytes, file.size - offset));
    offset += chunk.length;
    stream.push(chunk);
  };
  return new Readable({
    read() {
      if (timer) return;
      if (offset >= file.size) return void this.push(null);
      startedAt ??= Date.now() + delayMs;
      // The chunk at `offset` is due once the link could have carried every byte before it.
      const dueAt = startedAt + (bytesPerSecond === null ? 0 : (offset * 1000) / bytesPerSecond);
      const waitMs = dueAt - Date.now();
      if (waitMs <= 0) return push(this);
      timer = setTimeout(() => push(this), waitMs);
    },
    destroy(err, callback) {
      clearTimeout(timer);
      callback(err);
    },
  });
}

/**
 * Up to 64 KiB of bytes derived from the task id, in one SHAKE256 call of the length needed (a SHA-256 per 32 bytes
 * cost the simulator more CPU than the HTTP exchange of a small download).
 */
function patternFor(providerTaskId: string, length: number): Buffer {
  return createHash('shake256', { outputLength: length }).update(providerTaskId).digest();
}

function block(pattern: Buffer, index: number, length: number, type: TaskType): Buffer {
  const bytes = Buffer.from(pattern.subarray(0, length));
  // The block index makes blocks differ from each other, so a reordered or repeated block changes the file's hash.
  if (length >= 32) bytes.writeUInt32BE(index, 28);
  if (index === 0) MAGIC[type].copy(bytes, 0, 0, Math.min(length, MAGIC[type].length));
  return bytes;
}
