import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../src/simulators/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { freePort, waitFor } from '../helpers/net.js';
import { runsAsRoot } from '../helpers/osUser.js';
import { envOf, parseDockerfile, type Stage } from './dockerfile.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DOCKERFILE = join(REPO, 'deploy/Dockerfile');
/** The `nobody` user stands in for the image's unprivileged `node` user, which this machine does not have. */
const NOBODY = 65534;

/**
 * The image cannot be built here (no Docker), so this test does what the Dockerfile does, on this machine: each
 * stage in its own empty directory standing for its filesystem, the same COPY set from the repository, the same
 * install and build commands, then the runtime stage's CMD as an unprivileged user, with production dependencies
 * only. Then it uses what it built: a user from the CLI, a task submitted against the simulator, completed and
 * downloaded, and the image's HEALTHCHECK.
 */
describe('deploy/Dockerfile', () => {
  const root = mkdtempSync(join(tmpdir(), 'settle-image-'));
  chmodSync(root, 0o755);
  let database: TestDatabase | undefined;
  let sim: RunningSimulator | undefined;
  const stop: (() => void)[] = [];
  afterAll(async () => {
    for (const s of stop) s();
    await sim?.close();
    await database?.drop();
    // rm, not rmSync: the two stages' node_modules are some 30,000 files, which rmSync takes a minute over.
    execFileSync('rm', ['-rf', root]);
  });

  const stages = parseDockerfile(DOCKERFILE);
  const runtime = stages.at(-1)!;
  const inStage = (stage: Stage, path: string) => join(root, stage.name ?? 'runtime', path);

  it('is multi-stage, installs production dependencies only, and runs as a user other than root', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const runs = runtime.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
    const user = runtime.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime.instructions.find((i) => i.keyword === 'CMD')).toBeDefined();
  });

  it("builds as its stages say, and the runtime stage serves without dev dependencies: a task completes against the simulator", async () => {
    const env: Record<string, Record<string, string>> = {};
    for (const stage of stages) {
      const key = stage.name ?? 'runtime';
      env[key] = {};
      let cwd = inStage(stage, '/');
      mkdirSync(cwd, { recursive: true });
      for (const { keyword, flags, args } of stage.instructions) {
        if (keyword === 'WORKDIR') {
          cwd = inStage(stage, args);
          mkdirSync(cwd, { recursive: true });
        } else if (keyword === 'ENV') {
          Object.assign(env[key], envOf(args));
        } else if (keyword === 'COPY') {
          const parts = args.split(/\s+/);
          const dest = parts.pop()!;
          const from = flags.from ? stages.find((s) => s.name === flags.from)! : undefined;
          for (const source of parts) {
            const src = from ? inStage(from, source) : join(REPO, source);
            const to = isAbsolute(dest) ? inStage(stage, dest) : join(cwd, dest);
            cpSync(src, dest.endsWith('/') ? join(to, source.split('/').pop()!) : to, { recursive: true });
          }
        } else if (keyword === 'RUN') {
          runStep(args, cwd, (path) => inStage(stage, path));
        }
      }
    }

    const app = inStage(runtime, '/app');
    expect(existsSync(join(app, 'node_modules/fastify'))).toBe(true);
    for (const dev of ['vitest', 'typescript', 'tsx', 'playwright-core', 'smtp-server']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(join(app, 'src'))).toBe(false);

    database = process.env.TEST_DATABASE_URL ? await createTestDatabase() : undefined;
    sim = await startSimulator({ port: 0, seed: 4, durationMs: [200, 400], rateLimit: null, apiKey: 'image-key' });
    const port = await freePort();
    const imageEnv = Object.fromEntries(Object.entries(env.runtime!).map(([k, v]) => [k, v.startsWith('/') ? inStage(runtime, v) : v]));
    const runEnv = {
      PATH: process.env.PATH!,
      ...imageEnv,
      ...(database && { DATABASE_URL: database.url! }),
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      KIE_BASE_URL: sim.url,
      KIE_API_KEY: 'image-key',
      DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1',
      WORKER_POLL_MIN_MS: '200',
    };
    const asUser = runsAsRoot() ? { uid: NOBODY, gid: NOBODY } : {};

    const created = spawnSync('node', ['dist/cli/main.js', 'users', 'create', '--email', 'image@example.com', '--credits', '100', '--json'], { cwd: app, env: runEnv, encoding: 'utf8', ...asUser });
    expect(created.stderr).toBe('');
    const { apiKey } = JSON.parse(created.stdout);

    const [command, ...commandArgs] = JSON.parse(runtime.instructions.find((i) => i.keyword === 'CMD')!.args) as string[];
    const server = spawn(command!, commandArgs, { cwd: app, env: runEnv, stdio: ['ignore', 'pipe', 'pipe'], ...asUser });
    stop.push(() => server.kill('SIGKILL'));
    let out = '';
    server.stdout.on('data', (d: Buffer) => (out += d));
    server.stderr.on('data', (d: Buffer) => (out += d));
    await waitFor('the image to serve', async () => out.includes('settle is serving'), 60_000);

    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const submitted = await fetch(`http://127.0.0.1:${port}/api/v1/tasks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ type: 'image', model: 'google/nano-banana', input: { prompt: 'a container ship' } }),
    }).then((r) => r.json());
    const done = await waitFor('the task to complete', async () => {
      const task = await fetch(`http://127.0.0.1:${port}/api/v1/tasks/${submitted.taskId}`, { headers }).then((r) => r.json());
      return task.status === 'completed' ? task : undefined;
    }, 30_000);
    const asset = await fetch(done.assetUrl);
    expect(asset.status).toBe(200);
    expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(0);

    const healthcheck = runtime.instructions.find((i) => i.keyword === 'HEALTHCHECK')!.args.replace(/^(--\S+\s+)*CMD\s+/, '');
    const [check, ...checkArgs] = JSON.parse(healthcheck) as string[];
    expect(spawnSync(check!, checkArgs, { cwd: app, env: runEnv, ...asUser }).status).toBe(0);
    expect(out).not.toMatch(/\n\s+at /);

    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }, 300_000);
});

/**
 * A RUN step: npm commands run as they are (with npm's cache warm: prefer-offline changes no result), in the
 * stage's working directory. The only other step the image has, making its data directory for the `node` user, is
 * done to the stage's directory here; anything else fails the test rather than being skipped unnoticed.
 */
function runStep(command: string, cwd: string, inStage: (path: string) => string): void {
  if (/^npm\s/.test(command)) {
    execFileSync('sh', ['-c', command], { cwd, env: { ...process.env, npm_config_prefer_offline: 'true', NODE_ENV: '' }, stdio: 'pipe' });
    return;
  }
  const dataDir = /^mkdir -p (\/\S+) && chown node:node \1$/.exec(command);
  if (!dataDir) throw new Error(`The test does not know how to run this RUN step of the Dockerfile: ${command}`);
  const path = inStage(dataDir[1]!);
  mkdirSync(path, { recursive: true });
  if (runsAsRoot()) chownSync(path, NOBODY, NOBODY);
}
