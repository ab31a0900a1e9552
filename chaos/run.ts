// npm run chaos -- [--duration 60] [--seed 1] [--mode default|hostile] [--kill-every-ms 4000] [--no-pg-restart] [--users 6]
//                    [--credits 40] [--topup 2]
// A fault-injection run on real PostgreSQL (DATABASE_URL, else TEST_DATABASE_URL, else the local server): two API
// processes, two workers and the simulator under load, with random SIGKILLs and one PostgreSQL restart; then the
// system quiesces and every invariant is checked. Exits 1 on any violation, and on any wait that runs out.
// --mode hostile also switches the simulator between hostile-provider episodes (hostile.ts) and checks the invariants
// counted at the provider and the asset route (provider-invariants.ts). See docs/chaos.md.
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
import type { SimLog } from '../src/simulators/index.js';
import { createUser } from '../src/users/index.js';
import { freePort } from '../test/helpers/net.js';
import { startReceiver, type Receiver } from '../test/helpers/receiver.js';
import { createSmtpSink, type SmtpSink } from '../test/helpers/smtp.js';
import { checkInvariants, settledPerMinute } from './checks.js';
import { SettleProcess, waitForHttp } from './cluster.js';
import { startLoad, type LoadStats } from './load.js';
import { startAssetProbe, unlinkedFiles, type ProbeResult } from './asset-probe.js';
import { HOSTILE, HOSTILE_START, setFaults, SLOWEST_DOWNLOAD_MS, startHostileEpisodes } from './hostile.js';
import { checkProviderInvariants, loadSettledTasks, type ProviderVerdict } from './provider-invariants.js';
import { startTopUps, type TopUpStats } from './topup.js';
import { pollUntil, seconds, sleep, within } from './wait.js';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    mode: { type: 'string', default: 'default' },
    'kill-every-ms': { type: 'string', default: '4000' },
    'no-pg-restart': { type: 'boolean', default: false },
    users: { type: 'string', default: '6' },
    credits: { type: 'string', default: '40' },
    topup: { type: 'string', default: '2' },
  },
});
const durationMs = Number(flags.duration) * 1000;
const seed = Number(flags.seed);
const killEveryMs = Number(flags['kill-every-ms']);
const topUpCredits = Number(flags.topup);
if (!(durationMs > 0) || !Number.isInteger(seed) || !(killEveryMs > 0)) {
  console.error('chaos: --duration, --seed and --kill-every-ms must be positive numbers');
  process.exit(2);
}
const hostile = flags.mode === 'hostile';
if (!hostile && flags.mode !== 'default') {
  console.error('chaos: --mode must be default or hostile');
  process.exit(2);
}
if (!Number.isInteger(topUpCredits) || topUpCredits < 0) {
  console.error('chaos: --topup must be a whole number of credits (0: no top-ups)');
  process.exit(2);
}
/**
 * Every user gets --topup credits this often. The default (2 every 2 s for 6 users, about 0.9 tasks a second at the
 * models' prices, twice that once refunds are spent again) stays under what the provider rate limit
 * (PROVIDER_RATE_LIMIT, 20 new tasks per 10 s, retries included) lets through, so tasks keep flowing without piling up
 * pending, and a burst still overspends into 402s.
 */
const TOP_UP_EVERY_MS = 2000;
const PROVIDER_RATE = { max: 20, windowMs: 10_000 };
/** The cluster counts each window a tenth longer, at most a second (src/tasks/dispatchSlots.ts): 20 per 11 s. */
const COUNTED_WINDOW_MS = PROVIDER_RATE.windowMs + Math.min(1000, Math.ceil(PROVIDER_RATE.windowMs / 10));

const generator = xoroshiro128plus(seed);
const random = (): number => uniformFloat64(generator);
const log = (line: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);

// Short timeouts so that hangs fail, retry and refund within the run.
const MODELS = [
  { id: 'google/nano-banana', provider: 'kie', type: 'image', price: 4, timeoutMs: 20_000, maxAttempts: 2 },
  { id: 'sora-2-text-to-video', provider: 'kie', type: 'video', price: 10, timeoutMs: 25_000, maxAttempts: 2 },
];
/**
 * The cluster's task lease (production: 120 s). It still covers one advance (a 10 s wait for a dispatch slot, a 15 s
 * provider call, a short download), and a task held by a SIGKILLed process is free again well inside the quiescence
 * window.
 */
const TASK_LEASE_MS = 30_000;
const WORKER_POLL_MAX_MS = 2_000;
const CLEANUP_EVERY_S = 5;
/** The outbox's lease, LEASE_MS in src/notify/delivery.ts (not configurable). */
const OUTBOX_LEASE_MS = 60_000;
const OUTBOX_MAX_ATTEMPTS = 8;
const OUTBOX_RETRY_MAX_MS = 2_000;
const MARGIN_MS = 15_000;

interface Window {
  ms: number;
  rule: string;
}

/**
 * The longest a task can stay live once the load has stopped and every process runs: its lease may still be held by
 * a process SIGKILLed at the end, then it may wait pending up to its timeout, then run every attempt to its deadline,
 * each noticed within a worker poll; the cleanup ticks on top.
 */
function quiescenceWindow(live: number): Window {
  const attempts = Math.max(...MODELS.map((m) => m.maxAttempts));
  const timeoutMs = Math.max(...MODELS.map((m) => m.timeoutMs));
  // Hostile: each attempt may first wait pending to its deadline (a provider that never answers), and then settle late.
  const phaseMs = hostile ? HOSTILE.pendingDeadlineMs + timeoutMs : timeoutMs;
  const phase = hostile ? `(${seconds(HOSTILE.pendingDeadlineMs)} pending deadline + ${seconds(timeoutMs)} timeout)` : `${seconds(timeoutMs)} timeout`;
  const backlogMs = Math.ceil(live / PROVIDER_RATE.max) * COUNTED_WINDOW_MS;
  const graceMs = hostile ? DEADLINE_GRACE.ms : 0;
  const ms = TASK_LEASE_MS + backlogMs + (attempts + 1) * (phaseMs + WORKER_POLL_MAX_MS) + CLEANUP_EVERY_S * 1000 + graceMs + MARGIN_MS;
  return {
    ms,
    rule: `task lease ${seconds(TASK_LEASE_MS)} + ${live} live at the provider's rate ${seconds(backlogMs)}`
      + ` + (pending + ${attempts} attempts) x (${phase} + ${seconds(WORKER_POLL_MAX_MS)} worker poll) + ${CLEANUP_EVERY_S} s cleanup tick`
      + `${hostile ? ` + ${seconds(graceMs)} settling grace` : ''} + ${seconds(MARGIN_MS)} margin`,
  };
}

/**
 * How long after its deadline a task may still be live in hostile mode: one cleanup tick, the cleanup's own provider
 * call (it asks before it refunds), the slowest hostile download (a download in progress holds its renewed lease, and
 * the cleanup waits for it), and a margin for a busy 2-core machine. A SIGKILL may add a held lease (provider-invariants.ts).
 */
const DEADLINE_GRACE = {
  ms: CLEANUP_EVERY_S * 1000 + HOSTILE.providerRequestTimeoutMs + SLOWEST_DOWNLOAD_MS + 10_000,
};

/** How long a task may stay live past its deadline once every process runs: a held lease, then the poll and the tick that settle it. */
const PAST_DEADLINE_MS = TASK_LEASE_MS + WORKER_POLL_MAX_MS + CLEANUP_EVERY_S * 1000 + (hostile ? DEADLINE_GRACE.ms : 0) + MARGIN_MS;

/** A notification leased by a process SIGKILLed at the end waits out the lease, then may fail every attempt. */
function outboxWindow(): Window {
  const ms = OUTBOX_LEASE_MS + OUTBOX_MAX_ATTEMPTS * OUTBOX_RETRY_MAX_MS + MARGIN_MS;
  return { ms, rule: `outbox lease ${seconds(OUTBOX_LEASE_MS)} + ${OUTBOX_MAX_ATTEMPTS} attempts x ${seconds(OUTBOX_RETRY_MAX_MS)} retry + ${seconds(MARGIN_MS)} margin` };
}

interface Cluster {
  databaseUrl: string;
  storageDir: string;
  db: Db;
  simUrl: string;
  apiUrls: string[];
  /** The API processes first, then the workers. */
  settle: SettleProcess[];
  smtp: SmtpSink;
  slack: Receiver;
}

/** What the fault loop did, for the checks and the figures. */
interface Faults {
  /** When each SIGKILL was sent. */
  kills: number[];
  /** Graceful SIGTERMs under load. */
  sigterms: number;
  pgRestarts: number;
  violations: string[];
}

/** Whatever has been set up so far, undone in reverse order however the run ends. */
const teardown: { what: string; undo: () => Promise<unknown> }[] = [];

const serverUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: tearing down`);
    void tearDown().then(() => process.exit(1));
  });
}
try {
  const { violations, figures } = await chaosRun();
  await tearDown();
  console.log('\nChaos run figures');
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(52)} ${v}`);
  if (violations.length > 0) {
    console.log(`\nFAILED: ${violations.length} violation(s) (seed ${seed})`);
    for (const v of violations.slice(0, 50)) console.log(`  - ${v}`);
    process.exit(1);
  }
  console.log(`\nPASSED: no violations (seed ${seed})`);
  process.exit(0);
} catch (err) {
  console.log(`\nFAILED: the chaos run could not finish (seed ${seed}): ${err instanceof Error ? err.message : String(err)}`);
  await tearDown();
  process.exit(1);
}

async function tearDown(): Promise<void> {
  for (const step of teardown.splice(0).reverse()) {
    await within(step.undo(), 30_000, step.what).catch((err: Error) => log(`teardown: ${err.message}`));
  }
}

async function chaosRun(): Promise<{ violations: string[]; figures: Record<string, number> }> {
  const cluster = await startCluster();
  const users = await Promise.all(Array.from({ length: Number(flags.users) }, (_, i) =>
    createUser(cluster.db, { email: `chaos${i}@example.com`, credits: Number(flags.credits) + i * 10 })));
  const balances = watchBalances(cluster.db);
  teardown.push({ what: 'the balance sampler to stop', undo: async () => balances.stop() });
  const started = Date.now();
  log(`seed ${seed}; ${cluster.settle.length} settle processes, simulator at ${cluster.simUrl}, database ${new URL(cluster.databaseUrl).pathname.slice(1)}`);

  const load = startLoad(cluster.apiUrls, users, random);
  const topUps = startTopUps(cluster.db, users, topUpCredits, TOP_UP_EVERY_MS);
  const episodes = hostile ? startHostileEpisodes(cluster.simUrl, random) : undefined;
  const probe = hostile ? startAssetProbe(cluster.storageDir, cluster.apiUrls, cluster.db, 1000) : undefined;
  const faults = await injectFaults(cluster);
  const [loadStats, topUpStats, episodeCounts] = await within(Promise.all([load.stop(), topUps.stop(), episodes?.stop()]), 30_000,
    'the load generator, the top-ups and the hostile episodes to stop');
  const loadStopped = Date.now();
  log(`load stopped: ${loadStats.accepted} accepted, ${loadStats.insufficient} refused for credits, ${topUpStats.credits} credits topped up; quiescing`);
  if (episodeCounts) log(`hostile episodes: ${Object.entries(episodeCounts).map(([name, n]) => `${name} x${n}`).join(', ')}`);
  const violations = [...faults.violations, ...(await quiesce(cluster))];
  const probed = await within(probe?.finish() ?? Promise.resolve(undefined), 300_000, 'the asset probes');

  await Promise.all(cluster.settle.map((p) => stopGracefully(p, violations)));
  const audit = runAudit(cluster.databaseUrl);
  const verdict = await within(checkInvariants(cluster.db, {
    simUrl: cluster.simUrl, acknowledged: loadStats.taskIds, mails: cluster.smtp.messages, mailAcceptedAt: cluster.smtp.acceptedAt,
    kills: faults.kills, alerts: cluster.slack.received,
  }), 300_000, 'the invariant checks');
  if (audit.code !== 0) violations.push(`settle audit failed: ${audit.output.slice(0, 500)}`);
  if (balances.seen > 0) violations.push(`${balances.seen} balance samples were negative or over-frozen`);
  const perMinute = await within(settledPerMinute(cluster.db, started, loadStopped), 30_000, 'the settled-per-minute figures');
  log(`tasks settled in each minute of the load: ${perMinute.join(', ')}`);
  const provider = probed ? await within(checkAtProvider(cluster, probed, faults.kills), 300_000, 'the hostile-mode invariant checks') : undefined;
  // The run's own findings first: a task still live at the end explains most of what the checks then find.
  return {
    violations: [...violations, ...verdict.violations, ...(provider?.violations ?? [])],
    figures: figuresOf(cluster, { load: loadStats, topUps: topUpStats, checked: { ...verdict.figures, ...provider?.figures }, faults, perMinute, started, loadStopped }),
  };
}

/** The hostile mode's invariants, from the simulator's log, the asset probes and the tasks' deadlines. */
async function checkAtProvider(cluster: Cluster, { probes, unanswered, keys }: ProbeResult, kills: number[]): Promise<ProviderVerdict> {
  const res = await fetch(`${cluster.simUrl}/sim/log`, { signal: AbortSignal.timeout(30_000) });
  const simLog = (await res.json()) as SimLog;
  const frozen = await cluster.db.query<{ n: number }>('SELECT coalesce(sum(frozen_balance), 0)::int AS n FROM user_credits');
  return checkProviderInvariants({
    log: simLog,
    tasks: await loadSettledTasks(cluster.db),
    probes,
    unansweredProbes: unanswered,
    bound: { graceMs: DEADLINE_GRACE.ms, leaseMs: TASK_LEASE_MS, kills, now: Date.now() },
    frozen: frozen.rows[0]!.n,
    unlinkedFiles: await unlinkedFiles(cluster.db, keys),
  });
}

async function startCluster(): Promise<Cluster> {
  const databaseName = `settle_chaos_${randomBytes(4).toString('hex')}`;
  const databaseUrl = await createDatabase(serverUrl, databaseName);
  teardown.push({ what: `dropping database ${databaseName}`, undo: () => dropDatabase(serverUrl, databaseName) });
  const db = openPostgres(databaseUrl, { max: 4 });
  teardown.push({ what: 'the harness pool to close', undo: () => db.close() });
  await within(migrate(db), 60_000, 'migrations on the chaos database');

  const work = mkdtempSync(join(tmpdir(), 'settle-chaos-'));
  teardown.push({ what: 'removing the work directory', undo: async () => rmSync(work, { recursive: true, force: true }) });
  const smtp = await createSmtpSink(await freePort());
  teardown.push({ what: 'the SMTP sink to stop', undo: () => smtp.stop() });
  const slack = await startReceiver();
  teardown.push({ what: 'the Slack receiver to close', undo: () => slack.close() });
  const modelsFile = join(work, 'models.json');
  writeFileSync(modelsFile, JSON.stringify(MODELS));

  const simPort = await freePort();
  const simUrl = `http://127.0.0.1:${simPort}`;
  const sim = new SettleProcess('sim', ['sim', '--port', String(simPort), '--seed', String(seed), '--api-key', 'chaos', '--duration-ms', '500-3000',
    '--fail-rate', '0.1', '--hang-rate', '0.05', '--lost-callback-rate', '0.3', '--transient-error-rate', '0.05',
    '--download-delay-ms', '150', '--rate-limit', '100/10000'], {});
  teardown.push({ what: 'the simulator to be killed', undo: () => sim.retire() });
  sim.start();
  await waitForHttp(`${simUrl}/sim/stats`, 20_000);
  if (hostile) await setFaults(simUrl, HOSTILE_START);

  const apiPorts = [await freePort(), await freePort()];
  const apiUrls = apiPorts.map((p) => `http://127.0.0.1:${p}`);
  const env = (publicUrl: string): Record<string, string> => ({
    DATABASE_URL: databaseUrl, KIE_BASE_URL: simUrl, DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1', KIE_API_KEY: 'chaos', PUBLIC_URL: publicUrl, HOST: '127.0.0.1',
    STORAGE_DIR: join(work, 'assets'), MODELS_FILE: modelsFile, LOG_LEVEL: 'warn', CRON_SECRET: 'chaos',
    STUCK_AFTER_MINUTES: '0.1', PENDING_STUCK_MINUTES: '0.1', RECONCILE_CRON: '*/3 * * * * *', CLEANUP_CRON: `*/${CLEANUP_EVERY_S} * * * * *`,
    WORKER_POLL_MIN_MS: '300', WORKER_POLL_MAX_MS: String(WORKER_POLL_MAX_MS), TASK_LEASE_MS: String(TASK_LEASE_MS),
    SUBMIT_RATE_LIMIT_PER_MINUTE: '100000', SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, EMAIL_ON: 'all', SLACK_WEBHOOK_URL: `${slack.url}/slack`,
    OUTBOX_MAX_ATTEMPTS: String(OUTBOX_MAX_ATTEMPTS), OUTBOX_RETRY_BASE_MS: '200', OUTBOX_RETRY_MAX_MS: String(OUTBOX_RETRY_MAX_MS), OUTBOX_POLL_MS: '200',
    PROVIDER_RATE_LIMIT: String(PROVIDER_RATE.max), PROVIDER_RATE_WINDOW_MS: String(PROVIDER_RATE.windowMs),
    ...(hostile ? hostileEnv() : {}),
  });
  const settle = [
    ...apiPorts.map((port, i) => new SettleProcess(`api-${i + 1}`, ['serve', '--port', String(port)], env(apiUrls[i]!))),
    new SettleProcess('worker-1', ['worker'], env(apiUrls[0]!)),
    new SettleProcess('worker-2', ['worker'], env(apiUrls[1]!)),
  ];
  teardown.push({ what: 'the settle processes to be killed', undo: () => Promise.all(settle.map((p) => p.retire())) });
  for (const p of settle) p.start();
  await Promise.all(apiUrls.map((u) => waitForHttp(`${u}/healthz`, 30_000)));
  return { databaseUrl, storageDir: join(work, 'assets'), db, simUrl, apiUrls, settle, smtp, slack };
}

/** Settle's side of the hostile bounds: every hostile episode crosses one of these. */
function hostileEnv(): Record<string, string> {
  return {
    SUBMIT_WAIT_MS: String(HOSTILE.submitWaitMs), PROVIDER_REQUEST_TIMEOUT_MS: String(HOSTILE.providerRequestTimeoutMs),
    DISPATCH_DOUBT_MS: String(HOSTILE.dispatchDoubtMs), PENDING_DEADLINE_MS: String(HOSTILE.pendingDeadlineMs),
    MAX_RESULT_BYTES: String(HOSTILE.maxResultBytes), KIE_WEBHOOK_HMAC_KEY: HOSTILE.callbackHmacKey,
  };
}

/** Random SIGKILLs (every fourth fault a SIGTERM) for the run's duration, and halfway one PostgreSQL restart. */
async function injectFaults(cluster: Cluster): Promise<Faults> {
  const faults: Faults = { kills: [], sigterms: 0, pgRestarts: 0, violations: [] };
  const started = Date.now();
  const pgRestartAt = started + durationMs / 2;
  for (let n = 1; Date.now() - started < durationMs; n++) {
    await sleep(killEveryMs * (0.5 + random()));
    const victim = cluster.settle[Math.floor(random() * cluster.settle.length)]!;
    // Every fourth fault is a graceful SIGTERM under load: it must exit 0 and lose nothing.
    if (n % 4 === 0 && victim.alive) {
      log(`SIGTERM ${victim.name}`);
      faults.sigterms++;
      await stopGracefully(victim, faults.violations);
      victim.start();
    } else {
      log(`SIGKILL ${victim.name}`);
      faults.kills.push(Date.now());
      await victim.kill9();
      setTimeout(() => victim.ensureRunning(), 500 + random() * 1500);
    }
    if (!flags['no-pg-restart'] && faults.pgRestarts === 0 && Date.now() > pgRestartAt) {
      await restartPostgres(cluster, faults.violations);
      faults.pgRestarts++;
    }
    // A process restarted while PostgreSQL was away exits at start (it cannot migrate); a supervisor starts it again.
    for (const p of cluster.settle) if (p !== victim) p.ensureRunning();
  }
  return faults;
}

/** SIGTERMs a process; any end but exit 0 is a violation, told with the process's last output. */
async function stopGracefully(p: SettleProcess, violations: string[]): Promise<void> {
  const end = await p.stop();
  if (end === 'exit 0') return;
  log(`${p.name} after SIGTERM: ${end}; its last output:\n${p.lastOutput}`);
  violations.push(`${p.name} did not end in exit 0 after SIGTERM: ${end}`);
}

/**
 * Brings every process back, then waits for the quiescence window (stated in the output, derived from the lease and
 * the models' timeouts) for every task to settle, and for the outbox to drain. Answers the violations.
 */
async function quiesce(cluster: Cluster): Promise<string[]> {
  await sleep(2500);
  for (const p of cluster.settle) p.ensureRunning();
  await Promise.all(cluster.apiUrls.map((u) => waitForHttp(`${u}/healthz`, 30_000)));
  // A processing task may still time out and be sent again: it needs a dispatch slot as a pending one does.
  const { rows } = await cluster.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE status IN ('pending', 'processing')`);
  const tasks = quiescenceWindow(rows[0]!.n);
  log(`waiting up to ${seconds(tasks.ms)} for every task to settle (${tasks.rule})`);
  const live = await waitForSettledTasks(cluster.db, tasks);
  const outbox = outboxWindow();
  log(`waiting up to ${seconds(outbox.ms)} for the outbox to drain (${outbox.rule})`);
  const undelivered = await waitForOutbox(cluster.db, outbox);
  return [live, undelivered].filter((v): v is string => v !== undefined);
}

/** Stops PostgreSQL for a few seconds; PostgreSQL is started again even when the outage checks fail. */
async function restartPostgres(cluster: Cluster, problems: string[]): Promise<void> {
  const version = execFileSync('ls', ['/etc/postgresql'], { encoding: 'utf8' }).trim().split('\n')[0]!;
  const apis = cluster.settle.slice(0, cluster.apiUrls.length);
  // Only processes already serving count: one still starting up fails its start without a database, by design.
  const before = await Promise.all(apis.map(async (p, i) => ((await isReady(cluster.apiUrls[i]!)) ? p.pid : undefined)));
  log(`stopping PostgreSQL (${before.filter(Boolean).length} API processes serving)`);
  pgCtl(version, 'stop', '-m', 'fast');
  try {
    for (const [i, url] of cluster.apiUrls.entries()) {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) }).catch(() => null);
      if (before[i] && res && res.status !== 503) problems.push(`${apis[i]!.name}: /readyz answered ${res.status} while PostgreSQL was down`);
    }
    await sleep(3000);
  } finally {
    pgCtl(version, 'start');
  }
  log('PostgreSQL is back');
  await checkOutageSurvivors(apis, cluster.apiUrls, before, problems);
}

/**
 * Every API process that was serving when PostgreSQL stopped must still be the same process and ready again, without
 * a restart, within 20 s.
 */
async function checkOutageSurvivors(apis: SettleProcess[], urls: string[], before: (number | undefined)[], problems: string[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (const [i, url] of urls.entries()) {
    if (!before[i]) continue;
    if (apis[i]!.pid !== before[i]) {
      problems.push(`${apis[i]!.name} died while PostgreSQL was down instead of waiting for it; its last output:\n${apis[i]!.lastOutput}`);
      continue;
    }
    if (!(await pollUntil(`${url}/readyz`, () => isReady(url), Math.max(0, deadline - Date.now()), 250))) {
      problems.push(`${apis[i]!.name} did not become ready again within 20 s after PostgreSQL returned`);
    }
  }
}

function isReady(url: string): Promise<boolean> {
  return fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
}

function pgCtl(version: string, ...args: string[]): void {
  try {
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', ...args], { timeout: 60_000, stdio: 'pipe' });
  } catch (err) {
    throw new Error(`pg_ctlcluster ${args.join(' ')} failed or took over 60 s: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function createDatabase(server: string, name: string): Promise<string> {
  await withAdminClient(server, `creating database ${name}`, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(server: string, name: string): Promise<void> {
  await withAdminClient(server, `dropping database ${name}`, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

async function withAdminClient(server: string, what: string, use: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: server, connectionTimeoutMillis: 10_000, query_timeout: 30_000 });
  client.on('error', () => undefined); // a lost connection fails the query; it must not crash the harness
  try {
    await client.connect();
    await use(client);
  } catch (err) {
    throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await client.end().catch(() => undefined);
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

interface LiveTask {
  id: string;
  status: string;
  attempts: number;
  lease_left_s: number | null;
  deadline_in_s: number | null;
}

/**
 * Undefined once no task is pending or processing; otherwise a violation naming the tasks still live. The window is
 * an estimate of the backlog: past it, the wait goes on while every live task is still inside its own deadline plus
 * what may follow it (a held lease, a worker poll, a cleanup tick, the settling grace), up to twice the window. A
 * task live past that is the violation.
 */
async function waitForSettledTasks(database: Db, window: Window): Promise<string | undefined> {
  const live = () => database.query<LiveTask>(
    `SELECT id, status, attempts, round(extract(epoch FROM lease_expires_at - now()))::int AS lease_left_s,
            round(extract(epoch FROM coalesce(deadline_at, created_at + make_interval(secs => timeout_ms::double precision / 1000)) - now()))::int AS deadline_in_s
       FROM tasks WHERE status IN ('pending', 'processing') ORDER BY created_at`,
  );
  if (await pollUntil('a count of live tasks', async () => (await live()).rows.length === 0, window.ms, 1000)) return undefined;
  const allowedS = Math.ceil(PAST_DEADLINE_MS / 1000);
  let rows: LiveTask[] = [];
  await pollUntil('live tasks inside their deadlines', async () => {
    rows = (await live()).rows;
    return rows.length === 0 || rows.some((t) => (t.deadline_in_s ?? 0) < -allowedS);
  }, window.ms, 1000);
  if (rows.length === 0) return undefined;
  const overdue = rows.filter((t) => (t.deadline_in_s ?? 0) < -allowedS);
  const shown = overdue.length > 0 ? overdue : rows;
  const why = overdue.length > 0
    ? `${overdue.length} tasks were live more than ${allowedS} s past their deadlines (task lease, worker poll, cleanup tick${hostile ? ', settling grace' : ''} and margin)`
    : `${rows.length} tasks were still live at ${seconds(2 * window.ms)}, twice the quiescence window`;
  return `${why}, after the ${seconds(window.ms)} estimate (${window.rule}): ${shown.slice(0, 5).map(describeLive).join('; ')}`;
}

function describeLive(t: LiveTask): string {
  const lease = t.lease_left_s === null || t.lease_left_s < 0 ? 'no live lease' : `lease ${t.lease_left_s} s left`;
  const deadline = t.deadline_in_s === null ? 'no deadline' : t.deadline_in_s < 0 ? `deadline ${-t.deadline_in_s} s ago` : `deadline in ${t.deadline_in_s} s`;
  return `${t.id} ${t.status} after ${t.attempts} attempts, ${lease}, ${deadline}`;
}

/** Undefined once no notification is pending; otherwise a violation saying how many are. */
async function waitForOutbox(database: Db, window: Window): Promise<string | undefined> {
  let pending = 0;
  const drained = await pollUntil('a count of pending notifications', async () => {
    const { rows } = await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_outbox WHERE status = 'pending'`);
    pending = rows[0]!.n;
    return pending === 0;
  }, window.ms, 500);
  return drained ? undefined : `${pending} notifications were still pending in the outbox after ${seconds(window.ms)} (${window.rule})`;
}

function runAudit(url: string): { code: number; output: string } {
  try {
    return { code: 0, output: execFileSync(process.execPath, ['dist/cli/main.js', 'audit'], { env: { PATH: process.env.PATH, DATABASE_URL: url }, encoding: 'utf8', timeout: 60_000 }) };
  } catch (err) {
    const e = err as { status?: number | null; stdout?: string; code?: string };
    if (e.code === 'ETIMEDOUT') return { code: 1, output: 'settle audit did not finish within 60 s' };
    return { code: e.status ?? 1, output: e.stdout ?? String(err) };
  }
}

interface RunFigures {
  load: LoadStats;
  topUps: TopUpStats;
  checked: Record<string, number>;
  faults: Faults;
  perMinute: number[];
  started: number;
  loadStopped: number;
}

function figuresOf(cluster: Cluster, { load, topUps, checked, faults, perMinute, started, loadStopped }: RunFigures): Record<string, number> {
  const settledDuringLoad = perMinute.reduce((sum, n) => sum + n, 0);
  const fullMinutes = perMinute.slice(0, Math.floor((loadStopped - started) / 60_000));
  return {
    'submissions attempted': load.attempts,
    'tasks submitted (202)': load.accepted,
    'refused 402': load.insufficient,
    'credits topped up': topUps.credits,
    'top-up grants failed (PostgreSQL away)': topUps.failed,
    'settled per minute during the load (mean)': Math.round((settledDuringLoad * 60_000) / (loadStopped - started)),
    ...(fullMinutes.length > 0 ? { 'settled in the slowest full minute': Math.min(...fullMinutes) } : {}),
    ...checked,
    kills: cluster.settle.reduce((n, p) => n + p.kills, 0),
    'graceful SIGTERMs under load': faults.sigterms,
    restarts: cluster.settle.reduce((n, p) => n + p.restarts, 0),
    'PostgreSQL restarts': faults.pgRestarts,
    'duration s': Math.round((Date.now() - started) / 1000),
  };
}
