// npm run chaos -- [--duration 60] [--seed 1] [--kill-every-ms 4000] [--no-pg-restart] [--users 6] [--credits 200]
// A fault-injection run on real PostgreSQL (DATABASE_URL, else TEST_DATABASE_URL, else the local server): two API
// processes, two workers and the simulator under load, with random SIGKILLs and one PostgreSQL restart; then the
// system quiesces and every invariant is checked. Exits 1 on any violation.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { migrate, openPostgres, type Db } from '../src/db/index.js';
import { createUser } from '../src/users/index.js';
import { freePort } from '../test/helpers/net.js';
import { startReceiver } from '../test/helpers/receiver.js';
import { createSmtpSink } from '../test/helpers/smtp.js';
import { checkInvariants } from './checks.js';
import { SettleProcess, waitForHttp } from './cluster.js';
import { startLoad } from './load.js';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    'kill-every-ms': { type: 'string', default: '4000' },
    'no-pg-restart': { type: 'boolean', default: false },
    users: { type: 'string', default: '6' },
    credits: { type: 'string', default: '200' },
  },
});
const durationMs = Number(flags.duration) * 1000;
const seed = Number(flags.seed);
const killEveryMs = Number(flags['kill-every-ms']);
if (!(durationMs > 0) || !Number.isInteger(seed) || !(killEveryMs > 0)) {
  console.error('chaos: --duration, --seed and --kill-every-ms must be positive numbers');
  process.exit(2);
}

const generator = xoroshiro128plus(seed);
const random = (): number => uniformFloat64(generator);
const log = (line: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);

const serverUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const databaseUrl = await createDatabase(serverUrl, `settle_chaos_${randomBytes(4).toString('hex')}`);
const db = openPostgres(databaseUrl, { max: 4 });
await migrate(db);

const work = mkdtempSync(join(tmpdir(), 'settle-chaos-'));
const smtp = await createSmtpSink(await freePort());
const slack = await startReceiver();
const modelsFile = join(work, 'models.json');
// Short timeouts so that hangs fail, retry and refund within the run.
writeFileSync(modelsFile, JSON.stringify([
  { id: 'google/nano-banana', provider: 'kie', type: 'image', price: 4, timeoutMs: 20_000, maxAttempts: 2 },
  { id: 'sora-2-text-to-video', provider: 'kie', type: 'video', price: 10, timeoutMs: 25_000, maxAttempts: 2 },
]));

const simPort = await freePort();
const simUrl = `http://127.0.0.1:${simPort}`;
const sim = new SettleProcess('sim', ['sim', '--port', String(simPort), '--seed', String(seed), '--api-key', 'chaos', '--duration-ms', '500-3000',
  '--fail-rate', '0.1', '--hang-rate', '0.05', '--lost-callback-rate', '0.3', '--transient-error-rate', '0.05',
  '--download-delay-ms', '150', '--rate-limit', '100/10000'], {});
sim.start();
await waitForHttp(`${simUrl}/sim/stats`, 20_000);

const apiPorts = [await freePort(), await freePort()];
const apiUrls = apiPorts.map((p) => `http://127.0.0.1:${p}`);
const env = (publicUrl: string): Record<string, string> => ({
  DATABASE_URL: databaseUrl, KIE_BASE_URL: simUrl, KIE_API_KEY: 'chaos', PUBLIC_URL: publicUrl, HOST: '127.0.0.1',
  STORAGE_DIR: join(work, 'assets'), MODELS_FILE: modelsFile, LOG_LEVEL: 'warn', CRON_SECRET: 'chaos',
  STUCK_AFTER_MINUTES: '0.1', PENDING_STUCK_MINUTES: '0.1', RECONCILE_CRON: '*/3 * * * * *', CLEANUP_CRON: '*/5 * * * * *',
  WORKER_POLL_MIN_MS: '300', WORKER_POLL_MAX_MS: '2000', SUBMIT_RATE_LIMIT_PER_MINUTE: '100000',
  SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, EMAIL_ON: 'all', SLACK_WEBHOOK_URL: `${slack.url}/slack`,
  OUTBOX_RETRY_BASE_MS: '200', OUTBOX_RETRY_MAX_MS: '2000', OUTBOX_POLL_MS: '200',
});
const settle = [
  ...apiPorts.map((port, i) => new SettleProcess(`api-${i + 1}`, ['serve', '--port', String(port)], env(apiUrls[i]!))),
  new SettleProcess('worker-1', ['worker'], env(apiUrls[0]!)),
  new SettleProcess('worker-2', ['worker'], env(apiUrls[1]!)),
];
for (const p of settle) p.start();
await Promise.all(apiUrls.map((u) => waitForHttp(`${u}/healthz`, 30_000)));

const users = await Promise.all(Array.from({ length: Number(flags.users) }, (_, i) =>
  createUser(db, { email: `chaos${i}@example.com`, credits: Number(flags.credits) + i * 50 })));
const negativeSamples = watchBalances(db);
const started = Date.now();
log(`seed ${seed}; ${settle.length} settle processes, simulator at ${simUrl}, database ${new URL(databaseUrl).pathname.slice(1)}`);

const load = startLoad(apiUrls, users, random);
let pgRestarts = 0;
let faults = 0;
const sigtermExits: (number | null)[] = [];

/** SIGTERMs a process and records its exit code; a code other than 0 is told with the process's last output. */
async function stopGracefully(p: SettleProcess): Promise<number | null> {
  const wasAlive = p.alive;
  const code = await p.stop();
  if (code !== 0) log(`${p.name} ${wasAlive ? 'exited' : 'had already exited'} with code ${code}; its last output:\n${p.lastOutput}`);
  return code;
}
const kills: number[] = [];
const readiness: string[] = [];
const pgRestartAt = started + durationMs / 2;
while (Date.now() - started < durationMs) {
  await sleep(killEveryMs * (0.5 + random()));
  const victim = settle[Math.floor(random() * settle.length)]!;
  // Every fourth fault is a graceful SIGTERM under load: it must exit 0 and lose nothing.
  if (++faults % 4 === 0 && victim.alive) {
    log(`SIGTERM ${victim.name}`);
    sigtermExits.push(await stopGracefully(victim));
    victim.start();
  } else {
    log(`SIGKILL ${victim.name}`);
    kills.push(Date.now());
    await victim.kill9();
    setTimeout(() => void victim.restart(), 500 + random() * 1500);
  }
  if (!flags['no-pg-restart'] && pgRestarts === 0 && Date.now() > pgRestartAt) {
    await restartPostgres(settle.slice(0, 2), apiUrls, readiness);
    pgRestarts++;
  }
  // A process restarted while PostgreSQL was away exits at start (it cannot migrate); a supervisor starts it again.
  for (const p of settle) if (!p.alive && p !== victim) await p.restart();
}
const loadStats = await load.stop();
log(`load stopped: ${loadStats.accepted} accepted, ${loadStats.insufficient} refused for credits; quiescing`);
await sleep(2500);
for (const p of settle) if (!p.alive) await p.restart();
await Promise.all(apiUrls.map((u) => waitForHttp(`${u}/healthz`, 30_000)));
const quiet = await waitForQuiescence(db, 120_000);
await waitForOutbox(db, 30_000);

const exitCodes = await Promise.all(settle.map(stopGracefully));
const audit = runAudit(databaseUrl);
const verdict = await checkInvariants(db, { simUrl, acknowledged: loadStats.taskIds, mails: smtp.messages, mailAcceptedAt: smtp.acceptedAt, kills, alerts: slack.received });
await sim.stop();
if (!quiet) verdict.violations.push('tasks were still live at the end of the quiescence window');
if (audit.code !== 0) verdict.violations.push(`settle audit failed: ${audit.output.slice(0, 500)}`);
if (negativeSamples.seen > 0) verdict.violations.push(`${negativeSamples.seen} balance samples were negative or over-frozen`);
const badExits = [...exitCodes, ...sigtermExits].filter((c) => c !== 0).length;
if (badExits > 0) verdict.violations.push(`${badExits} SIGTERMs did not end in exit code 0`);
verdict.violations.push(...readiness);
negativeSamples.stop();

const figures = {
  'submissions attempted': loadStats.attempts,
  'tasks submitted (202)': loadStats.accepted,
  'refused 402': loadStats.insufficient,
  ...verdict.figures,
  kills: settle.reduce((n, p) => n + p.kills, 0),
  'graceful SIGTERMs under load': sigtermExits.length,
  restarts: settle.reduce((n, p) => n + p.restarts, 0),
  'PostgreSQL restarts': pgRestarts,
  'duration s': Math.round((Date.now() - started) / 1000),
};
console.log('\nChaos run figures');
for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(52)} ${v}`);
await db.close();
await smtp.stop();
await slack.close();
await dropDatabase(serverUrl, new URL(databaseUrl).pathname.slice(1));
rmSync(work, { recursive: true, force: true });
if (verdict.violations.length > 0) {
  console.log(`\nFAILED: ${verdict.violations.length} violation(s) (seed ${seed})`);
  for (const v of verdict.violations.slice(0, 50)) console.log(`  - ${v}`);
  process.exit(1);
}
console.log(`\nPASSED: no violations (seed ${seed})`);
process.exit(0);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function createDatabase(server: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(server: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.end();
}

/**
 * Stops PostgreSQL for a few seconds. Every API process that lives through the outage must report not ready while
 * it lasts, stay up, and report ready again afterwards without being restarted.
 */
async function restartPostgres(apis: SettleProcess[], urls: string[], problems: string[]): Promise<void> {
  const version = execFileSync('ls', ['/etc/postgresql'], { encoding: 'utf8' }).trim().split('\n')[0]!;
  // Only processes already serving count: one still starting up fails its start without a database, by design.
  const before = await Promise.all(apis.map(async (p, i) => {
    const ready = await fetch(`${urls[i]}/readyz`).then((r) => r.ok, () => false);
    return ready ? p.pid : undefined;
  }));
  log(`stopping PostgreSQL (${before.filter(Boolean).length} API processes serving)`);
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'stop', '-m', 'fast']);
  for (const [i, url] of urls.entries()) {
    const res = await fetch(`${url}/readyz`).catch(() => null);
    if (before[i] && res && res.status !== 503) problems.push(`${apis[i]!.name}: /readyz answered ${res.status} while PostgreSQL was down`);
  }
  await sleep(3000);
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
  log('PostgreSQL is back');
  const deadline = Date.now() + 20_000;
  for (const [i, url] of urls.entries()) {
    if (!before[i]) continue;
    if (apis[i]!.pid !== before[i]) {
      problems.push(`${apis[i]!.name} died while PostgreSQL was down instead of waiting for it; its last output:\n${apis[i]!.lastOutput}`);
      continue;
    }
    while (!(await fetch(`${url}/readyz`).then((r) => r.ok, () => false))) {
      if (Date.now() > deadline) {
        problems.push(`${apis[i]!.name} did not become ready again after PostgreSQL returned`);
        break;
      }
      await sleep(250);
    }
  }
}

/** Samples every balance once a second: none may ever be negative or more than fully frozen. */
function watchBalances(database: Db): { seen: number; stop(): void } {
  const state = { seen: 0, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    database.query<{ n: number }>('SELECT count(*)::int AS n FROM user_credits WHERE balance < 0 OR frozen_balance < 0 OR frozen_balance > balance')
      .then((r) => { state.seen += r.rows[0]!.n; }, () => undefined);
  }, 1000);
  return state;
}

async function waitForQuiescence(database: Db, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const live = await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE status IN ('pending', 'processing')`).catch(() => null);
    if (live?.rows[0]!.n === 0) return true;
    await sleep(1000);
  }
  return false;
}

async function waitForOutbox(database: Db, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pending = await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_outbox WHERE status = 'pending'`);
    if (pending.rows[0]!.n === 0) return;
    await sleep(500);
  }
}

function runAudit(url: string): { code: number; output: string } {
  try {
    return { code: 0, output: execFileSync(process.execPath, ['dist/cli/main.js', 'audit'], { env: { PATH: process.env.PATH, DATABASE_URL: url }, encoding: 'utf8' }) };
  } catch (err) {
    const e = err as { status?: number; stdout?: string };
    return { code: e.status ?? 1, output: e.stdout ?? String(err) };
  }
}
