import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DatabaseError } from './errors.js';

interface Holder {
  pid: number;
  command: string;
  since: string;
}

/** A second process on the embedded database; it refused before opening, so it wrote nothing. */
export class EmbeddedDatabaseInUseError extends DatabaseError {
  constructor(dataDir: string, lockFile: string, holder: Holder) {
    super(
      `the embedded database in ${dataDir} is in use by process ${holder.pid} (${holder.command}, since ${holder.since}); ` +
        `stop it first, or point every process at PostgreSQL with DATABASE_URL (if process ${holder.pid} is not Settle, delete ${lockFile})`,
    );
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function readHolder(file: string): Holder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as Holder;
    return Number.isSafeInteger(holder.pid) ? holder : undefined;
  } catch {
    return undefined;
  }
}

/** Held by a live process other than this one (a pid equal to ours is a previous container's, whose pid was 1 too). */
const heldByOther = (holder: Holder | undefined): holder is Holder => holder !== undefined && holder.pid !== process.pid && isAlive(holder.pid);

/**
 * PGlite is one process's database: a second process opening the same directory works on its own copy in memory,
 * and what it writes is lost (or corrupts the first's). So the first process holds `<dataDir>.lock` with its pid,
 * and any other refuses before opening anything. A lock whose process is gone is taken over.
 */
export function lockEmbeddedDatabase(dataDir: string): () => void {
  const lockFile = `${dataDir}.lock`;
  const mine: Holder = { pid: process.pid, command: commandLine(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(lockFile, mine)) return () => release(lockFile);
    const holder = readHolder(lockFile);
    if (heldByOther(holder)) throw new EmbeddedDatabaseInUseError(dataDir, lockFile, holder);
    takeOverStale(lockFile, holder, dataDir);
  }
  throw new DatabaseError(`the embedded database in ${dataDir} could not be locked: ${lockFile} keeps changing`);
}

/** Written aside and linked into place: the lock appears whole or not at all, and only one link can succeed. */
function tryCreate(lockFile: string, holder: Holder): boolean {
  const aside = `${lockFile}.${randomBytes(6).toString('hex')}`;
  writeFileSync(aside, JSON.stringify(holder));
  try {
    linkSync(aside, lockFile);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    rmSync(aside, { force: true });
  }
}

/**
 * Moves the stale lock aside (a rename only one process can win) and looks at what it moved: if another process
 * created a fresh lock in between, that one goes back and this process refuses.
 */
function takeOverStale(lockFile: string, judged: Holder | undefined, dataDir: string): void {
  const aside = `${lockFile}.stale.${process.pid}`;
  try {
    renameSync(lockFile, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = readHolder(aside);
  if (heldByOther(moved) && moved.pid !== judged?.pid) {
    putBack(aside, lockFile);
    throw new EmbeddedDatabaseInUseError(dataDir, lockFile, moved);
  }
  rmSync(aside, { force: true });
}

function putBack(aside: string, lockFile: string): void {
  try {
    linkSync(aside, lockFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(aside, { force: true });
  }
}

function release(lockFile: string): void {
  if (readHolder(lockFile)?.pid === process.pid) rmSync(lockFile, { force: true });
}

function commandLine(): string {
  const [, script, ...args] = process.argv;
  const name = script ? basename(script) : 'node';
  return [name === 'main.js' ? 'settle' : name, ...args].join(' ').slice(0, 120);
}
