import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalStore } from '../../src/storage/index.js';

const root = mkdtempSync(join(tmpdir(), 'settle-local-store-'));
const store = createLocalStore(root, 'http://assets.test');
/** Where a key's file lies: the key's leading `assets/` is the storage directory itself. */
const fileOf = (key: string) => join(root, key.replace(/^assets\//, ''));

/** A body delivered in 16 KiB chunks, optionally cut off with an error after `failAfter` bytes. */
function bodyOf(bytes: Buffer, failAfter?: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (failAfter !== undefined && offset >= failAfter) return this.destroy(new Error('connection reset by provider'));
      if (offset >= bytes.length) return void this.push(null);
      this.push(bytes.subarray(offset, offset + 16 * 1024));
      offset += 16 * 1024;
    },
  });
}

describe('local asset store', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    ['a small file the provider declared (the whole-file path)', 1024, 1024],
    ['a large declared file (the stream path)', 2 * 1024 * 1024, 2 * 1024 * 1024],
    ['a file of unknown length (the stream path)', 300 * 1024, undefined],
  ])('stores %s byte for byte, with nothing left aside', async (_what, size, declared) => {
    const bytes = randomBytes(size);
    const key = `assets/task-${size}/0.mp4`;
    expect(await store.put(key, bodyOf(bytes), 'video/mp4', declared)).toEqual({ key, size });
    expect(readFileSync(fileOf(key)).equals(bytes)).toBe(true);
    expect(readdirSync(fileOf(`assets/task-${size}`))).toEqual(['0.mp4']);
  });

  it.each([
    ['declared small', 100 * 1024],
    ['streamed', undefined],
  ])('a transfer cut off midway (%s) fails, leaves the stored file as it was and nothing aside', async (_what, declared) => {
    const key = `assets/task-cut-${declared ?? 'stream'}/0.png`;
    const first = randomBytes(100 * 1024);
    await store.put(key, bodyOf(first), 'image/png', declared);
    await expect(store.put(key, bodyOf(randomBytes(100 * 1024), 48 * 1024), 'image/png', declared)).rejects.toThrow(/connection reset/);
    expect(readFileSync(fileOf(key)).equals(first)).toBe(true);
    expect(readdirSync(fileOf(`assets/task-cut-${declared ?? 'stream'}`))).toEqual(['0.png']);
  });

  it.each([
    ['declared small', 1024],
    ['streamed', undefined],
  ])('a directory removed while the process runs is made again (%s)', async (_what, declared) => {
    const dir = `assets/removed-${declared ?? 'stream'}`;
    await store.put(`${dir}/a-0.png`, bodyOf(randomBytes(1024)), 'image/png', declared);
    rmSync(fileOf(dir), { recursive: true });
    const bytes = randomBytes(1024);
    expect(await store.put(`${dir}/b-0.png`, bodyOf(bytes), 'image/png', declared)).toEqual({ key: `${dir}/b-0.png`, size: 1024 });
    expect(readFileSync(fileOf(`${dir}/b-0.png`)).equals(bytes)).toBe(true);
  });

  it('a file that cannot be created fails the put and releases the provider download unread', async () => {
    mkdirSync(root, { recursive: true });
    writeFileSync(fileOf('assets/not-a-directory'), 'x');
    const body = bodyOf(randomBytes(300 * 1024));
    await expect(store.put('assets/not-a-directory/0.mp4', body, 'video/mp4')).rejects.toThrow(/EEXIST|ENOTDIR/);
    expect(body.destroyed).toBe(true);
  });

  it('refuses a key that escapes the storage directory, and opens only stored files', async () => {
    await expect(store.put('../outside.mp4', bodyOf(randomBytes(10)))).rejects.toThrow(/Invalid asset key/);
    expect(await store.open('../outside.mp4')).toBeNull();
    expect(await store.open('assets/never-stored/0.mp4')).toBeNull();
    const opened = await store.open('assets/task-1024/0.mp4');
    expect(opened?.size).toBe(1024);
    expect(Buffer.concat(await opened!.body.toArray()).equals(readFileSync(fileOf('assets/task-1024/0.mp4')))).toBe(true);
  });
});
