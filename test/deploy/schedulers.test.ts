import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Cron } from 'croner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { startHarness, type Harness } from '../helpers/harness.js';
import { freePort, waitFor } from '../helpers/net.js';

const run = promisify(execFile);
const deployFile = (path: string) => fileURLToPath(new URL(`../../deploy/${path}`, import.meta.url));
const SETTLE_SECRET = 'settle-cron-secret-for-the-recipes';
const JOBS = ['process-stuck-tasks', 'cleanup-jobs'];

/** A schedule the scheduler would accept: croner parses it and finds a next run. */
function expectSchedule(pattern: string): void {
  expect(new Cron(pattern, { paused: true }).nextRun(), pattern).toBeInstanceOf(Date);
}

interface Execution {
  job_name: string;
  trigger: string;
  status: string;
}

/**
 * Each recipe of deploy/ that drives Settle's recovery jobs from outside, run the way its scheduler runs it against
 * a running Settle: the command or request it holds, with the environment it documents.
 */
describe('external schedulers (deploy/)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { CRON_SECRET: SETTLE_SECRET, RECONCILE_CRON: 'off', CLEANUP_CRON: 'off' } });
  });
  afterAll(() => h.close());

  const executions = async () =>
    (await h.system.db.query<Execution>('SELECT job_name, trigger, status FROM cron_job_executions ORDER BY started_at')).rows;
  const runsSince = async (before: number) => (await executions()).slice(before);

  /** Runs a shell command line as cron, a CronJob's container or supercronic would: sh, this environment. */
  async function shell(command: string, env: Record<string, string>) {
    return run('sh', ['-c', command], { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 });
  }

  describe('Vercel cron through the app\'s forwarding function', () => {
    let fn: ChildProcess;
    let fnUrl: string;
    const VERCEL_SECRET = 'the-vercel-projects-cron-secret';
    const vercel = JSON.parse(readFileSync(deployFile('vercel/vercel.json'), 'utf8'));

    beforeAll(async () => {
      // The function file of vercel.json's `functions`, served the way Vercel invokes it: a Web Request in, a Response out.
      const [fnPath] = Object.keys(vercel.functions);
      const handler = pathToFileURL(deployFile(`vercel/${fnPath}`)).href;
      const port = await freePort();
      fn = spawn(process.execPath, ['--input-type=module', '-e', `
        import { createServer } from 'node:http';
        const { GET } = await import(${JSON.stringify(handler)});
        createServer(async (req, res) => {
          const response = await GET(new Request('http://127.0.0.1:${port}' + req.url, { headers: req.headers }));
          res.writeHead(response.status, Object.fromEntries(response.headers)).end(await response.text());
        }).listen(${port}, '127.0.0.1', () => console.log('listening'));
      `], { env: { PATH: process.env.PATH, CRON_SECRET: VERCEL_SECRET, SETTLE_URL: h.url, SETTLE_CRON_SECRET: SETTLE_SECRET }, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      fn.stdout!.on('data', (d: Buffer) => (out += d));
      await waitFor('the function to listen', async () => out.includes('listening'));
      fnUrl = `http://127.0.0.1:${port}`;
    });
    afterAll(() => fn?.kill('SIGKILL'));

    it('calls each cron path as Vercel does (GET, Bearer CRON_SECRET) and runs the job on Settle', async () => {
      const before = (await executions()).length;
      expect(vercel.crons.map((c: { path: string }) => c.path.split('/').pop())).toEqual(JOBS);
      for (const cron of vercel.crons as { path: string; schedule: string }[]) {
        expectSchedule(cron.schedule);
        expect(Object.keys(vercel.functions)[0]!.replace('[job].js', '')).toBe(cron.path.replace(/^\//, '').replace(/[^/]+$/, ''));
        const res = await fetch(fnUrl + cron.path, { headers: { authorization: `Bearer ${VERCEL_SECRET}`, 'user-agent': 'vercel-cron/1.0' } });
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ success: true });
      }
      expect(await runsSince(before)).toEqual(JOBS.map((job_name) => ({ job_name, trigger: 'http', status: 'completed' })));
    });

    it('refuses a call without the Vercel project\'s secret, and runs nothing', async () => {
      const before = (await executions()).length;
      for (const headers of [{}, { authorization: `Bearer ${SETTLE_SECRET}` }] as Record<string, string>[]) {
        const res = await fetch(`${fnUrl}${vercel.crons[0].path}`, { headers });
        expect(res.status).toBe(401);
      }
      expect(await runsSince(before)).toEqual([]);
    });
  });

  describe('Kubernetes CronJobs', () => {
    const cronJobs = parseAllDocuments(readFileSync(deployFile('kubernetes/cronjobs.yaml'), 'utf8')).map((d) => d.toJS());

    it("run each container's command against Settle with the Secret's CRON_SECRET", async () => {
      expect(cronJobs.map((c) => c.kind)).toEqual(['CronJob', 'CronJob']);
      const before = (await executions()).length;
      for (const cronJob of cronJobs) {
        expectSchedule(cronJob.spec.schedule);
        expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
        const container = cronJob.spec.jobTemplate.spec.template.spec.containers[0];
        const env: Record<string, string> = {};
        for (const variable of container.env) {
          if (variable.valueFrom) {
            expect(variable.valueFrom.secretKeyRef).toEqual({ name: 'settle', key: 'CRON_SECRET' });
            env[variable.name] = SETTLE_SECRET;
          } else {
            // The in-cluster Service URL; here Settle runs on loopback.
            expect(variable.value).toBe('http://settle:3000');
            env[variable.name] = h.url;
          }
        }
        const [sh, flag, command] = container.command;
        expect([sh, flag]).toEqual(['sh', '-c']);
        const { stdout } = await shell(command, env);
        expect(JSON.parse(stdout)).toMatchObject({ success: true });
      }
      expect(await runsSince(before)).toEqual(JOBS.map((job_name) => ({ job_name, trigger: 'http', status: 'completed' })));
    });

    it('fail their Job when Settle refuses the secret (curl -f)', async () => {
      const container = cronJobs[0].spec.jobTemplate.spec.template.spec.containers[0];
      await expect(shell(container.command[2], { SETTLE_URL: h.url, CRON_SECRET: 'wrong' })).rejects.toMatchObject({ code: 22 });
    });
  });

  describe('supercronic', () => {
    const lines = readFileSync(deployFile('supercronic/crontab'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));

    it('runs each line\'s command on its schedule\'s terms: a valid schedule, sh, the environment it was started with', async () => {
      const before = (await executions()).length;
      for (const line of lines) {
        const fields = line.trim().split(/\s+/);
        expectSchedule(fields.slice(0, 5).join(' '));
        const { stdout } = await shell(fields.slice(5).join(' '), { SETTLE_URL: h.url, CRON_SECRET: SETTLE_SECRET });
        expect(JSON.parse(stdout)).toMatchObject({ success: true });
      }
      expect(await runsSince(before)).toEqual(JOBS.map((job_name) => ({ job_name, trigger: 'http', status: 'completed' })));
    });
  });
});
