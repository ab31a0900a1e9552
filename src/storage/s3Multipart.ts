import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

/** Part-sized buffers shared by the uploads of one store, so consecutive uploads do not allocate afresh. */
export interface PartBufferPool {
  take(): Buffer;
  give(buffer: Buffer): void;
  /** Drops the idle buffers. */
  clear(): void;
}

/**
 * Keeps at most `maxIdle` buffers of `size` bytes between uploads, and drops them all after `idleMs` without use, so
 * an idle process gives the memory back. Reuse matters beyond speed: allocating and freeing megabytes per upload
 * fragments the allocator's heap, which shows as resident memory long after the buffers are gone.
 */
export function createPartBufferPool(size: number, maxIdle: number, idleMs = 30_000): PartBufferPool {
  const idle: Buffer[] = [];
  let timer: NodeJS.Timeout | undefined;
  const clear = () => {
    clearTimeout(timer);
    timer = undefined;
    idle.length = 0;
  };
  return {
    take: () => idle.pop() ?? Buffer.allocUnsafe(size),
    give(buffer) {
      if (buffer.length !== size || idle.length >= maxIdle) return;
      idle.push(buffer);
      clearTimeout(timer);
      timer = setTimeout(clear, idleMs).unref();
    },
    clear,
  };
}

export interface StreamingUpload {
  client: S3Client;
  bucket: string;
  key: string;
  body: Readable;
  contentType?: string;
  partSize: number;
  queueSize: number;
  pool: PartBufferPool;
}

const MAX_PARTS = 10_000;

/**
 * Uploads a stream of unknown length with bounded memory: at most `queueSize` parts in flight plus the one being
 * filled, in at most `queueSize + 1` part buffers reused for the whole upload (and returned to the pool after it).
 * The source is only read while a buffer is free: that is the backpressure that keeps a fast download from piling up
 * in memory. A stream shorter than one part goes up as a single PutObject. On any failure the multipart upload is
 * aborted (best effort) and the first error is thrown. Returns the number of bytes uploaded.
 */
export async function uploadStream(upload: StreamingUpload): Promise<number> {
  const { client, bucket, key, contentType, partSize, queueSize, pool } = upload;
  /** Buffers of this upload not held by a request; they go back to the pool at the end. */
  const free: Buffer[] = [];
  let owned = 0;
  const waiters: Array<() => void> = [];
  let failure: unknown;
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let partNumber = 0;
  let total = 0;

  const takeBuffer = async (): Promise<Buffer> => {
    for (;;) {
      if (failure) throw failure;
      const buffer = free.pop();
      if (buffer) return buffer;
      if (owned <= queueSize) {
        owned++;
        return pool.take();
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };

  const sendPart = (buffer: Buffer, length: number): void => {
    const number = ++partNumber;
    if (number > MAX_PARTS) throw new Error(`the object needs more than ${MAX_PARTS} parts of ${partSize} bytes`);
    const command = new UploadPartCommand({
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: number,
      Body: buffer.subarray(0, length),
      ContentLength: length,
    });
    const sending = client.send(command).then(
      (answer) => {
        parts.push({ PartNumber: number, ETag: answer.ETag });
        free.push(buffer);
        waiters.shift()?.();
      },
      (err: unknown) => {
        failure ??= err;
        // The buffer is not reused: the failed request may still hold it. Wake the reader so it stops.
        waiters.shift()?.();
      },
    );
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
  };

  let current: Buffer | undefined;
  try {
    current = await takeBuffer();
    let filled = 0;
    for await (const chunk of upload.body as AsyncIterable<Uint8Array | string>) {
      const bytes = asBuffer(chunk);
      total += bytes.length;
      let offset = 0;
      while (offset < bytes.length) {
        const copied = bytes.copy(current, filled, offset);
        offset += copied;
        filled += copied;
        if (filled < partSize) continue;
        uploadId ??= await createMultipart(upload);
        sendPart(current, filled);
        current = undefined;
        current = await takeBuffer();
        filled = 0;
      }
    }
    if (!uploadId) {
      // The whole object fits in one part: a plain PutObject, no multipart bookkeeping.
      const body = current.subarray(0, filled);
      // Should the request fail, it may still hold the buffer: it is not returned to the pool then.
      const held = current;
      current = undefined;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: filled, ContentType: contentType }));
      free.push(held);
      return total;
    }
    if (filled > 0) {
      sendPart(current, filled);
      current = undefined;
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
    parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
    await client.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
    );
    return total;
  } catch (err) {
    await Promise.allSettled(inFlight);
    if (uploadId) {
      // Best effort: an unaborted upload only costs storage until the bucket's lifecycle rule removes it.
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    }
    throw err;
  } finally {
    if (current) free.push(current);
    for (const buffer of free) pool.give(buffer);
  }
}

async function createMultipart(upload: StreamingUpload): Promise<string> {
  const created = await upload.client.send(
    new CreateMultipartUploadCommand({ Bucket: upload.bucket, Key: upload.key, ContentType: upload.contentType }),
  );
  if (!created.UploadId) throw new Error('CreateMultipartUpload answered without an UploadId');
  return created.UploadId;
}

function asBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk);
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
