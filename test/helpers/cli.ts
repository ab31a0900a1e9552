import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase, openPglite, type Db } from '../../src/db/index.js';
import { createTestDatabase } from './db.js';

export const CLI_PATH = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `settle` command (npm test builds it first) with only the given environment on top of PATH. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface CliDatabase {
  /** What the CLI needs to find the database: SETTLE_DATA_DIR (embedded) or DATABASE_URL (TEST_DATABASE_URL's server). */
  env: Record<string, string>;
  /** Opens the database in this process between CLI runs (the embedded one is one process's at a time). */
  withDb<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

/** A database the CLI, running in its own process, can open too: a PGlite directory, or a database on the server. */
export async function createCliDatabase(): Promise<CliDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'settle-cli-'));
  const server = process.env.TEST_DATABASE_URL ? await createTestDatabase() : undefined;
  const env: Record<string, string> = server ? { DATABASE_URL: server.url! } : { SETTLE_DATA_DIR: dataDir };
  return {
    env,
    async withDb(fn) {
      const db = server ? await openDatabase({ databaseUrl: server.url, dataDir }) : await openPglite(join(dataDir, 'pgdata'));
      try {
        return await fn(db);
      } finally {
        await db.close();
      }
    },
    async drop() {
      await server?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
