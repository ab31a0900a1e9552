import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './net.js';
import { postgresOwns, runsAsRoot } from './osUser.js';

export const PGBOUNCER = '/usr/sbin/pgbouncer';

export interface PgBouncerOptions {
  /** Where PostgreSQL listens (default: the server of TEST_DATABASE_URL, else 127.0.0.1:5432). */
  server?: { host: string; port: number };
  port?: number;
  poolMode?: 'transaction' | 'session';
  /** Server connections per database and user: small, so clients really share them. */
  poolSize?: number;
  /** Users and their passwords; set, clients must authenticate (scram-sha-256); unset, any user is trusted. */
  users?: Record<string, string>;
  /** Databases it knows; unset, any database name is passed through to the server. */
  databases?: string[];
}

export interface RunningPgBouncer {
  port: number;
  /** postgres:// URL of a database through it. */
  url(database: string, user?: string, password?: string): string;
  log(): string;
  stop(): Promise<void>;
}

export const havePgBouncer = (): boolean => existsSync(PGBOUNCER);

function defaultServer(): { host: string; port: number } {
  const url = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  return { host: url.hostname || '127.0.0.1', port: Number(url.port || 5432) };
}

/** A real PgBouncer (Debian's), in front of the local PostgreSQL, as its own process; stop() ends it. */
export async function startPgBouncer(options: PgBouncerOptions = {}): Promise<RunningPgBouncer> {
  const dir = mkdtempSync(join(tmpdir(), 'settle-pgbouncer-'));
  postgresOwns(dir);
  const port = options.port ?? (await freePort());
  const server = options.server ?? defaultServer();
  const target = `host=${server.host} port=${server.port}`;
  const databases = options.databases ? options.databases.map((d) => `${d} = ${target} dbname=${d}`) : [`* = ${target}`];
  const users = options.users ?? { postgres: '' };
  writeFileSync(join(dir, 'users.txt'), Object.entries(users).map(([u, p]) => `"${u}" "${p}"`).join('\n') + '\n');
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      ...databases,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      `auth_type = ${options.users ? 'scram-sha-256' : 'trust'}`,
      `auth_file = ${join(dir, 'users.txt')}`,
      `pool_mode = ${options.poolMode ?? 'transaction'}`,
      `default_pool_size = ${options.poolSize ?? 20}`,
      'max_client_conn = 1000',
      'server_login_retry = 1',
      'ignore_startup_parameters = extra_float_digits',
    ].join('\n') + '\n',
  );
  for (const file of ['users.txt', 'pgbouncer.ini']) postgresOwns(join(dir, file));
  const args = [...(runsAsRoot() ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')];
  const child: ChildProcess = spawn(PGBOUNCER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d));
  child.stderr!.on('data', (d: Buffer) => (log += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(`PgBouncer listening on ${port}`, async () => {
    if (child.exitCode !== null) throw new Error(`PgBouncer exited: ${log}`);
    return /process up|listening on/i.test(log);
  }, 10_000, 50);
  return {
    port,
    url: (database, user = 'postgres', password) =>
      `postgres://${encodeURIComponent(user)}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@127.0.0.1:${port}/${database}`,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGINT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
