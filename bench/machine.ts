import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import type { Db } from '../src/db/index.js';

export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  /** The 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAverage: number;
  node: string;
  /** SELECT version() on PostgreSQL, or the PGlite package version. */
  database: string;
  commit: string;
}

export async function describeMachine(db: Db): Promise<Machine> {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
    node: process.version,
    database: await databaseVersion(db),
    commit: gitCommit(),
  };
}

async function databaseVersion(db: Db): Promise<string> {
  const { rows } = await db.query<{ version: string }>('SELECT version()');
  const server = rows[0]!.version.split(' on ')[0]!;
  if (db.kind === 'pg') return server;
  return `PGlite ${pgliteVersion()} (${server})`;
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

/** The package hides its package.json from imports; read it next to the resolved entry point. */
function pgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  while (!dir.endsWith('pglite')) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}
