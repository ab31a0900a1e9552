import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKieProvider, type Provider } from '../../src/providers/index.js';
import { createS3Store, type S3AssetStore } from '../../src/storage/index.js';
import { terminalStatus } from '../providers/helpers.js';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from './s3rver.js';

// A file of its own: the measurement wants a quiet process (vitest runs each test file in a separate fork).

const MIB = 1024 * 1024;
const VIDEO_BYTES = 200 * MIB;
const WARM_UP_BYTES = 32 * MIB;
const LIMIT_BYTES = 64 * MIB;

let s3: RunningS3rver;
let sim: { url: string; child: ChildProcess };
let store: S3AssetStore;
let kie: Provider;

beforeAll(async () => {
  [s3, sim] = await Promise.all([startS3rver(), startSimulatorProcess()]);
  store = createS3Store({ bucket: s3.bucket, endpoint: s3.endpoint, ...S3RVER_CREDENTIALS });
  kie = createKieProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
});

afterAll(async () => {
  store?.close();
  sim?.child.stdin?.end();
  await s3?.close();
});

describe('S3 store memory', () => {
  it('streams a 200 MB simulated video from the provider download into S3 with peak RSS growth under 64 MB', async () => {
    const gc = exposeGc();
    // Warm up the whole path (JIT, sockets, the SDK's lazy modules and the allocator's arenas) on a smaller file.
    await setResultBytes(WARM_UP_BYTES);
    await ingest('warm-up');
    await setResultBytes(VIDEO_BYTES);
    const download = await videoDownload('big');
    // A store of its own for the measured upload: its part buffers are allocated inside the measurement, not reused
    // from the warm-up's pool.
    const measured = createS3Store({ bucket: s3.bucket, endpoint: s3.endpoint, ...S3RVER_CREDENTIALS });

    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
    const started = Date.now();
    let stored;
    try {
      stored = await measured.put('assets/task-big/0.mp4', download.body, download.contentType);
    } finally {
      clearInterval(sampler);
      measured.close();
    }
    peak = Math.max(peak, process.memoryUsage.rss());
    const growth = peak - baseline;
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `[s3 memory] 200 MiB streamed upload: peak RSS growth ${(growth / MIB).toFixed(1)} MiB ` +
        `(baseline ${(baseline / MIB).toFixed(1)} MiB, peak ${(peak / MIB).toFixed(1)} MiB), ` +
        `${seconds.toFixed(1)} s, ${(VIDEO_BYTES / MIB / seconds).toFixed(0)} MiB/s`,
    );

    expect(stored).toEqual({ key: 'assets/task-big/0.mp4', size: VIDEO_BYTES });
    expect(growth).toBeLessThan(LIMIT_BYTES);

    // The object is the simulator's file, byte for byte (the same result URL downloaded again; both hashed as streams).
    const [storedHash, sourceHash] = await Promise.all([
      fetch(await store.url('assets/task-big/0.mp4')).then((response) => sha256(response.body!)),
      kie.download(download.url).then((again) => sha256(again.body)),
    ]);
    expect(storedHash).toEqual({ bytes: VIDEO_BYTES, hash: sourceHash.hash });
  });
});

async function ingest(taskId: string): Promise<void> {
  const download = await videoDownload(taskId);
  await store.put(`assets/${taskId}/0.mp4`, download.body, download.contentType);
}

/** Submits a task to the simulator, waits for its result, and opens the result file's download. */
async function videoDownload(taskId: string): Promise<{ url: string; body: Readable; contentType?: string }> {
  const { providerTaskId } = await kie.submit({ taskId, model: 'sora-2-text-to-video', input: { prompt: 'a long take' } });
  const status = await terminalStatus(kie, providerTaskId);
  if (status.state !== 'success') throw new Error(`simulator task ended ${status.state}`);
  const url = status.resultUrls[0]!;
  return { url, ...(await kie.download(url)) };
}

async function setResultBytes(resultBytes: number): Promise<void> {
  const response = await fetch(`${sim.url}/sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ resultBytes }),
  });
  expect(response.status).toBe(200);
}

async function sha256(body: AsyncIterable<Uint8Array>): Promise<{ bytes: number; hash: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, hash: hash.digest('hex') };
}

/** --expose-gc when the runner was started with it, else the same function switched on at run time. */
function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}

async function startSimulatorProcess(): Promise<{ url: string; child: ChildProcess }> {
  const script = fileURLToPath(new URL('./fixtures/kie-sim.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the simulator did not start: ${output}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
    child.on('exit', (code) => reject(new Error(`the simulator exited (${code}): ${output}`)));
  });
  return { url, child };
}
