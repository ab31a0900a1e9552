import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** s3rver accepts SigV4 requests signed with these (it checks the key id, not the signature itself). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface RunningS3rver {
  endpoint: string;
  bucket: string;
  close(): Promise<void>;
}

const FIXTURE = fileURLToPath(new URL('./fixtures/s3rver.mjs', import.meta.url));

/**
 * A real S3-compatible server on loopback, in its own process: its memory (it receives 200 MB in the big test) must
 * not count against the uploading process, whose RSS is what the memory test measures. It exits when our end of its
 * stdin closes, so it does not outlive a test process that dies.
 */
export async function startS3rver(bucket = 'settle-assets'): Promise<RunningS3rver> {
  const directory = await mkdtemp(join(tmpdir(), 'settle-s3rver-'));
  const child = spawn(process.execPath, [FIXTURE, directory, bucket], { stdio: ['pipe', 'pipe', 'pipe'] });
  let port: number;
  try {
    port = await listeningPort(child);
  } catch (err) {
    child.kill();
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    async close() {
      await stop(child);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function listeningPort(child: ChildProcess): Promise<number> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start: ${output}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited (${code}): ${output}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill(), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin!.end();
  });
}
