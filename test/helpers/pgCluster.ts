import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asPostgres, postgresOwns } from './osUser.js';

export interface PgCluster {
  port: number;
  /** postgres:// URL as the superuser `postgres` with the given password (default: the right one). */
  url(database?: string, password?: string): string;
  /** Starts the server unless it runs, and returns once it accepts connections. */
  start(): void;
  /** Stops it at once (immediate mode) unless it is stopped. */
  stop(): void;
  remove(): void;
}

const binaries = (): string => {
  const version = readdirSync('/usr/lib/postgresql').sort().at(-1);
  return `/usr/lib/postgresql/${version}/bin`;
};

export const PASSWORD = 'cluster-secret-pw';

/**
 * A second PostgreSQL server of its own (initdb in a temp directory), that insists on a password over TCP (unlike
 * the local server, which trusts): for start-up tests that need a server that is down, then up, or that refuses.
 */
export function createPgCluster(port: number): PgCluster {
  const dir = mkdtempSync(join(tmpdir(), 'settle-pgcluster-'));
  postgresOwns(dir);
  writeFileSync(join(dir, 'pw'), `${PASSWORD}\n`);
  postgresOwns(join(dir, 'pw'));
  const run = (tool: string, args: string[]) => {
    const [command, full] = asPostgres(join(binaries(), tool), args);
    execFileSync(command, full, { stdio: 'pipe' });
  };
  run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', `--pwfile=${join(dir, 'pw')}`, '--auth-host=scram-sha-256', '--auth-local=trust', '-N']);
  const pgCtl = (...args: string[]) => run('pg_ctl', ['-D', join(dir, 'data'), ...args]);
  let running = false;
  const stop = () => {
    if (running) pgCtl('-m', 'immediate', '-w', 'stop');
    running = false;
  };
  return {
    port,
    url: (database = 'postgres', password = PASSWORD) =>
      `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    start() {
      if (!running) pgCtl('-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', join(dir, 'log'), '-w', 'start');
      running = true;
    },
    stop,
    remove() {
      stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
