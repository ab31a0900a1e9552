import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH } from '../helpers/cli.js';
import { usingPostgres } from '../helpers/db.js';
import { freePort, waitFor } from '../helpers/net.js';
import { createPgCluster, PASSWORD, type PgCluster } from '../helpers/pgCluster.js';

interface Run {
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
}

/** `settle serve` from dist, as an operator starts it, with only this environment. */
function serve(env: Record<string, string>): Run {
  const child = spawn(process.execPath, [CLI_PATH, 'serve'], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', KIE_API_KEY: 'k', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { exited, stdout: () => stdout, stderr: () => stderr, kill: (signal) => child.kill(signal) };
}

const waitLines = (out: string) => out.split('\n').filter((line) => line.includes('waiting for the database'));

/** Exit 1 and exactly one line on stderr, with no stack trace and no password in anything printed. */
async function expectOneLineFailure(run: Run, line: RegExp): Promise<void> {
  expect(await run.exited).toBe(1);
  const lines = run.stderr().trim().split('\n');
  expect(lines, run.stderr()).toHaveLength(1);
  expect(lines[0]).toMatch(line);
  expect(run.stderr() + run.stdout()).not.toMatch(/\n\s+at |wrong-pw|cluster-secret-pw/);
}

/** A second PostgreSQL server that insists on passwords, started and stopped by the test, on a port of its own. */
describe.skipIf(!usingPostgres())('start-up against a database that is down, then up, or that refuses', () => {
  let cluster: PgCluster;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    cluster = createPgCluster(port);
  });
  afterAll(() => cluster?.remove());

  it('waits with one line per try while the database is down, and serves once it is up within DATABASE_WAIT_MS', async () => {
    const run = serve({ DATABASE_URL: cluster.url(), DATABASE_WAIT_MS: '60000', PORT: String(await freePort()) });
    try {
      await waitFor('two tries to fail', async () => waitLines(run.stdout()).length >= 2, 20_000);
      cluster.start();
      await waitFor('settle to serve', async () => run.stdout().includes('settle is serving'), 30_000);
      const serving = JSON.parse(run.stdout().split('\n').find((l) => l.includes('settle is serving'))!);
      const ready = await fetch(`${serving.url}/readyz`);
      expect(ready.status).toBe(200);
      for (const line of waitLines(run.stdout())) {
        expect(JSON.parse(line).msg).toMatch(/^waiting for the database \(try \d+: nothing accepts connections at 127\.0\.0\.1:\d+\); next try in [\d.]+ s, [\d.]+ s left$/);
      }
      expect(run.stdout() + run.stderr()).not.toContain(PASSWORD);
    } finally {
      run.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
  });

  it('a refused password: one line naming the user and the server, exit 1, at once', async () => {
    cluster.start();
    const started = Date.now();
    const run = serve({ DATABASE_URL: cluster.url('postgres', 'wrong-pw'), PORT: String(await freePort()) });
    await expectOneLineFailure(run, new RegExp(`^settle: the database at 127\\.0\\.0\\.1:${port} refused the password of user "postgres" \\(check DATABASE_URL\\)$`));
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(waitLines(run.stdout())).toEqual([]);
  });

  it('a missing database: one line naming it, exit 1', async () => {
    const run = serve({ DATABASE_URL: cluster.url('no_such_db'), PORT: String(await freePort()) });
    await expectOneLineFailure(run, new RegExp(`^settle: the database "no_such_db" does not exist at 127\\.0\\.0\\.1:${port} \\(create it, or fix DATABASE_URL\\)$`));
  });

  it('a host that does not exist: one line naming it, exit 1', async () => {
    const run = serve({ DATABASE_URL: `postgres://postgres:wrong-pw@db.settle-test.invalid:5432/app`, DATABASE_WAIT_MS: '3000', PORT: String(await freePort()) });
    await expectOneLineFailure(run, /^settle: the database host "db\.settle-test\.invalid" cannot be found \(check DATABASE_URL\)$/);
  });

  it('a database still down when DATABASE_WAIT_MS runs out: one line saying so, exit 1', async () => {
    cluster.stop();
    const run = serve({ DATABASE_URL: cluster.url(), DATABASE_WAIT_MS: '1500', PORT: String(await freePort()) });
    await expectOneLineFailure(run, /^settle: nothing accepts connections at 127\.0\.0\.1:\d+; gave up after waiting 1\.5 s \(DATABASE_WAIT_MS\)$/);
    expect(waitLines(run.stdout()).length).toBeGreaterThanOrEqual(1);
  });
});
