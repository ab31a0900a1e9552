import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Store, type S3AssetStore, type S3StoreOptions } from '../../src/storage/index.js';
import { startRawServer } from '../providers/helpers.js';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from './s3rver.js';

let s3: RunningS3rver;
const stores: S3AssetStore[] = [];

beforeAll(async () => {
  s3 = await startS3rver();
});

afterAll(async () => {
  for (const store of stores.splice(0)) store.close();
  await s3?.close();
});

function store(options: Partial<S3StoreOptions> = {}): S3AssetStore {
  const created = createS3Store({ bucket: s3.bucket, endpoint: s3.endpoint, ...S3RVER_CREDENTIALS, ...options });
  stores.push(created);
  return created;
}

/** Hands the bytes over in uneven slices, as a network download would. */
function streamOf(bytes: Buffer, slice = 100_003): Readable {
  const slices: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += slice) slices.push(bytes.subarray(offset, offset + slice));
  return Readable.from(slices);
}

async function fetchBytes(url: string): Promise<{ status: number; bytes: Buffer; contentType: string | null }> {
  const response = await fetch(url);
  return {
    status: response.status,
    bytes: Buffer.from(await response.arrayBuffer()),
    contentType: response.headers.get('content-type'),
  };
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('S3 store against s3rver (presigned URLs)', () => {
  it('uploads small and multipart assets whose presigned URLs download the same bytes', async () => {
    const assets = store({ partSizeBytes: 5 * 1024 * 1024, queueSize: 2 });
    const cases = [
      { key: 'assets/task-small/0.png', bytes: randomBytes(70_000), type: 'image/png' },
      // Three parts of 5 MiB, the last one short: exercises CreateMultipartUpload / UploadPart / Complete.
      { key: 'assets/task-big/0.mp4', bytes: randomBytes(12 * 1024 * 1024 + 12_345), type: 'video/mp4' },
    ];
    for (const { key, bytes, type } of cases) {
      const stored = await assets.put(key, streamOf(bytes), type);
      expect(stored).toEqual({ key, size: bytes.length });
      const url = await assets.url(key);
      expect(url).toContain('X-Amz-Signature=');
      expect(url).not.toContain(S3RVER_CREDENTIALS.secretAccessKey.toLowerCase() + '%');
      const downloaded = await fetchBytes(url);
      expect(downloaded.status).toBe(200);
      expect(downloaded.contentType).toBe(type);
      expect(sha(downloaded.bytes)).toBe(sha(bytes));
    }
  });

  it('keeps concurrent and consecutive uploads apart while they share part buffers', async () => {
    const assets = store({ partSizeBytes: 5 * 1024 * 1024, queueSize: 2 });
    const round = async (name: string) => {
      const files = [0, 1, 2].map((i) => ({ key: `assets/${name}-${i}/0.mp4`, bytes: randomBytes(11 * 1024 * 1024 + i * 1000) }));
      await Promise.all(files.map(({ key, bytes }) => assets.put(key, streamOf(bytes, 64 * 1024), 'video/mp4')));
      for (const { key, bytes } of files) expect(sha((await fetchBytes(await assets.url(key))).bytes)).toBe(sha(bytes));
    };
    await round('concurrent-a');
    await round('concurrent-b');
  });

  it('presigns SigV4 GETs for the configured key; s3rver refuses an unknown access key', async () => {
    const assets = store();
    await assets.put('assets/task-signed/0.png', streamOf(randomBytes(1000)), 'image/png');
    const url = new URL(await assets.url('assets/task-signed/0.png'));
    expect(url.pathname).toBe(`/${s3.bucket}/assets/task-signed/0.png`);
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^S3RVER\/\d{8}\/auto\/s3\/aws4_request$/);
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(7 * 24 * 3600));
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    // s3rver does not recompute SigV4 signatures, but it does check the key id the URL was signed with.
    const foreign = new URL(await store({ accessKeyId: 'NOT-A-KEY' }).url('assets/task-signed/0.png'));
    expect((await fetchBytes(foreign.toString())).status).toBe(403);
  });

  it('honours presignTtlSeconds', async () => {
    const url = new URL(await store({ presignTtlSeconds: 600 }).url('assets/any/0.png'));
    expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
  });

  it('rewrites a key whole (deterministic keys make a repeated ingest harmless)', async () => {
    const assets = store();
    const key = 'assets/task-rewrite/0.mp4';
    await assets.put(key, streamOf(randomBytes(50_000)), 'video/mp4');
    const second = randomBytes(30_000);
    await assets.put(key, streamOf(second), 'video/mp4');
    expect(sha((await fetchBytes(await assets.url(key))).bytes)).toBe(sha(second));
  });

  it('rejects when the source stream fails mid-upload, and leaves no object behind', async () => {
    const assets = store({ partSizeBytes: 5 * 1024 * 1024 });
    const key = 'assets/task-broken/0.mp4';
    const broken = new Readable({
      read() {
        if (this.readableLength === 0 && (this as Readable & { sent?: number }).sent === undefined) {
          (this as Readable & { sent?: number }).sent = 1;
          this.push(randomBytes(6 * 1024 * 1024));
          setTimeout(() => this.destroy(new Error('connection reset by provider')), 20);
        }
      },
    });
    await expect(assets.put(key, broken, 'video/mp4')).rejects.toThrow(/connection reset by provider/);
    expect((await fetchBytes(await assets.url(key))).status).toBe(404);
  });

  it('aborts the multipart upload when the server refuses a part', async () => {
    const seen: string[] = [];
    const server = await startRawServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        seen.push(`${req.method} ${[...url.searchParams.keys()].filter((k) => k !== 'x-id').join(',')}`);
        if (req.method === 'POST' && url.searchParams.has('uploads')) {
          res.writeHead(200, { 'content-type': 'application/xml' });
          return void res.end(
            '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>up-1</UploadId></InitiateMultipartUploadResult>',
          );
        }
        if (req.method === 'DELETE') return void res.writeHead(204).end();
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end('<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
      });
    });
    try {
      const assets = store({ endpoint: server.url, partSizeBytes: 5 * 1024 * 1024 });
      await expect(assets.put('assets/task-refused/0.mp4', streamOf(randomBytes(11 * 1024 * 1024)), 'video/mp4')).rejects.toThrow(
        /S3 upload of assets\/task-refused\/0\.mp4 to bucket settle-assets failed: AccessDenied/,
      );
      expect(seen[0]).toBe('POST uploads');
      expect(seen).toContain('PUT partNumber,uploadId');
      expect(seen.at(-1)).toBe('DELETE uploadId');
    } finally {
      await server.close();
    }
  });

  it('fails with a message that names neither credential when the keys are wrong', async () => {
    const assets = store({ accessKeyId: 'AKIAWRONGKEY', secretAccessKey: 'super-secret-value' });
    const err = await assets.put('assets/task-denied/0.png', streamOf(randomBytes(100)), 'image/png').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/S3 upload of assets\/task-denied\/0\.png/);
    expect(err!.message).not.toContain('super-secret-value');
  });
});

describe('S3 store against s3rver (public URL)', () => {
  it('serves asset URLs under publicUrl, and they download the same bytes', async () => {
    // s3rver serves objects at path-style URLs, like an R2 bucket behind R2_PUBLIC_URL.
    const publicUrl = `${s3.endpoint}/${s3.bucket}/`;
    const assets = store({ publicUrl });
    const bytes = randomBytes(300_000);
    const key = 'assets/task-public/0.mp4';
    await assets.put(key, streamOf(bytes), 'video/mp4');
    const url = await assets.url(key);
    expect(url).toBe(`${s3.endpoint}/${s3.bucket}/${key}`);
    const downloaded = await fetchBytes(url);
    expect(downloaded.status).toBe(200);
    expect(sha(downloaded.bytes)).toBe(sha(bytes));
  });

  it('encodes key segments in public URLs', async () => {
    const assets = store({ publicUrl: 'https://cdn.example.com' });
    expect(await assets.url('assets/a b/0.mp4')).toBe('https://cdn.example.com/assets/a%20b/0.mp4');
  });
});
