import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { startSimulator } from '../../simulators/index.js';
import type { System } from '../../app/index.js';
import { createApiKey, createUser, findUserByEmail, type Role } from '../../users/index.js';
import { action, parsePositiveInt, readConfig } from '../context.js';
import { runSettle } from '../runSettle.js';

const DEMO_USER = 'demo@settle.local';
const DEMO_ADMIN = 'admin@settle.local';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run everything locally: embedded database, provider simulator, API, with demo users')
    .option('--port <n>', 'API port', '3000')
    .option('--seed <n>', 'simulator seed', '42')
    .action(action(async (opts: { port: string; seed: string }) => {
      const port = parsePositiveInt(opts.port, '--port');
      const sim = await startSimulator({ port: 0, seed: Number(opts.seed), durationMs: [3000, 8000] });
      const config = readConfig({
        DATABASE_URL: undefined,
        PORT: String(port),
        PUBLIC_URL: `http://localhost:${port}`,
        KIE_BASE_URL: sim.url,
        DOWNLOAD_ALLOWED_HOSTS: new URL(sim.url).host,
        KIE_API_KEY: 'demo',
        WORKER_POLL_MIN_MS: '1000',
        WORKER_POLL_MAX_MS: '5000',
      }, { CRON_SECRET: randomBytes(16).toString('hex') });
      const cronSecret = config.cronSecret!;
      const { system, server } = await runSettle(config, { serve: true, before: (shutdown) => shutdown.started(() => sim.close()) });
      const user = await demoKey(system, DEMO_USER, 'user', 1000);
      const admin = await demoKey(system, DEMO_ADMIN, 'admin', 0);
      printWelcome(server!.url, sim.url, user, admin, cronSecret);
    }));
}

/** A fresh key for the demo account, creating the account on the first run. */
async function demoKey(system: System, email: string, role: Role, credits: number): Promise<string> {
  const existing = await findUserByEmail(system.db, email);
  if (existing) return (await createApiKey(system.db, existing.id, role)).apiKey;
  return (await createUser(system.db, { email, name: role === 'admin' ? 'Demo Admin' : 'Demo User', credits, role })).apiKey;
}

function printWelcome(url: string, simUrl: string, userKey: string, adminKey: string, cronSecret: string): void {
  const body = JSON.stringify({ type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'A red fox running through fresh snow at dawn' } });
  process.stdout.write(`
Settle demo is running (embedded database, KIE simulator at ${simUrl})

  Playground     ${url}/playground   (sign in with the user key)
  Dashboard      ${url}/admin   (sign in with the admin key)
  API            ${url}
  Health         ${url}/readyz
  User key       ${userKey}   (demo@settle.local, 1000 credits)
  Admin key      ${adminKey}   (admin@settle.local)
  Cron secret    ${cronSecret}

Submit a video:
  curl -s -X POST ${url}/api/v1/tasks -H "Authorization: Bearer ${userKey}" -H "Content-Type: application/json" -d '${body}'

Then poll it (replace TASK_ID) until "status" is "completed", and open "assetUrl":
  curl -s ${url}/api/v1/tasks/TASK_ID -H "Authorization: Bearer ${userKey}"

Your balance:
  curl -s ${url}/api/v1/credits -H "Authorization: Bearer ${userKey}"

Press Ctrl+C to stop.
`);
}
