import { chownSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/**
 * PostgreSQL's tools and PgBouncer refuse to run as root; as root (CI, this VM) they run as the `postgres` user,
 * who must own what they write.
 */
export const runsAsRoot = (): boolean => process.getuid?.() === 0;

export function postgresOwns(path: string): void {
  if (!runsAsRoot()) return;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(path, uid, gid);
}

/** The command line that runs `command` as the postgres user when this process is root. */
export function asPostgres(command: string, args: string[]): [string, string[]] {
  return runsAsRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}
