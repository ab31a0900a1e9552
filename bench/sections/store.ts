import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { assetKey, createLocalStore } from '../../src/storage/index.js';
import { startCpuMeter } from '../cpuMeter.js';
import type { BenchOptions } from '../options.js';
import type { SectionResult } from '../report.js';
import { benchStorageDir } from '../settleSystem.js';

const FILE_BYTES = 1024;
const CONCURRENCY = 64;

/**
 * The settle section's store step alone, on the project's disk: as many 1 KiB result files as it settles, put
 * through the local store at the drainer's concurrency (256 shared prefix directories, each file written aside and
 * renamed into place). Its CPU includes the file-system threads, so it says what a settlement's store step costs
 * on this disk, which the settle section (assets in memory by default) leaves out.
 */
export async function benchStore(options: BenchOptions): Promise<SectionResult> {
  const { dir } = benchStorageDir('disk');
  const store = createLocalStore(dir, 'http://127.0.0.1/assets');
  const bytes = randomBytes(FILE_BYTES);
  const limit = pLimit(CONCURRENCY);
  try {
    const cpu = startCpuMeter({ self: 'bench', children: {}, postgres: false });
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.settleTasks }, () =>
        limit(() => store.put(assetKey(randomUUID(), 0, 'mp4'), Readable.from([bytes]), 'video/mp4', FILE_BYTES)),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const { 'CPU ms/op bench': perFile } = cpu.stop(options.settleTasks);
    return {
      name: 'store',
      what: `${options.settleTasks} result files of 1 KiB put through the local store on disk (./.settle), ${CONCURRENCY} at once (the settle section's store step alone)`,
      figures: { 'files/s': options.settleTasks / seconds, ...(perFile && { 'CPU ms/file': perFile }) },
      targets: [],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
