import { isIP } from 'node:net';
import { z } from 'zod';
import { hoursAsMs, list, minutesAsMs, oneOf, positiveNumber, sqlName, text, url, variable, wholeNumber } from './variable.js';

const baseUrl = url.transform((u) => u.replace(/\/+$/, ''));
const cron = text;

/** A proxy address, a CIDR range, or one of the ranges Fastify (proxy-addr) names. */
const isProxyAddress = (entry: string): boolean => {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
};
/**
 * `false`, `true`, or a comma-separated list of proxy addresses: what Fastify's trustProxy takes. Not a hop count:
 * Fastify 5 trusts nothing for one, since counting hops cannot tell the proxy from a client that adds headers.
 */
const trustProxy = z.string().transform((value, ctx): boolean | string[] => {
  const text = value.trim().toLowerCase();
  if (text === 'false' || text === 'off') return false;
  if (text === 'true') return true;
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  const bad = entries.find((entry) => !isProxyAddress(entry));
  if (entries.length > 0 && bad === undefined) return entries;
  ctx.addIssue({ code: 'custom', message: `expected false, true, or the proxies' addresses/CIDRs, comma-separated (not an address: ${bad ?? 'nothing given'})` });
  return z.NEVER;
});

/** Comma-separated origins (`https://app.example.com`): scheme, host and port, nothing after. */
const origins = list.refine(
  (entries) => entries.every((entry) => URL.canParse(entry) && new URL(entry).origin === entry),
  'expected origins such as https://app.example.com (scheme://host[:port], no path), comma-separated',
);

/** Every environment variable Settle reads, shaped like the Config it becomes. */
export const VARIABLES = {
  databaseUrl: variable('DATABASE_URL', 'database', text, 'unset: the embedded PGlite under SETTLE_DATA_DIR; `postgres://…`: a PostgreSQL server', { secret: true }),
  dataDir: variable('SETTLE_DATA_DIR', 'database', text, 'the embedded database and the default asset directory', { default: './.settle' }),
  database: {
    schema: variable('DATABASE_SCHEMA', 'database', sqlName, 'PostgreSQL: the schema every Settle table lives in, so Settle can share a database with an app\'s own `users` and `tasks`; an install made before it existed is moved there from `public` (set `public` to keep it there)', { default: 'settle' }),
    pooler: variable('DATABASE_POOLER', 'database', oneOf(['none', 'transaction']), '`transaction`: DATABASE_URL is a transaction-mode pooler (PgBouncer, Supavisor, Supabase port 6543): no named prepared statements, the schema set in each transaction. `pgbouncer=true` in DATABASE_URL means the same', { default: 'none' }),
    waitMs: variable('DATABASE_WAIT_MS', 'database', wholeNumber(0), 'how long start-up waits for an unreachable database, one line per try; a refused password, an unknown host or a missing database fail at once', { default: '60000' }),
  },
  port: variable('PORT', 'server', wholeNumber(0, 65535), 'the HTTP port', { default: '3000' }),
  host: variable('HOST', 'server', text, 'the address to listen on', { default: '0.0.0.0' }),
  publicUrl: variable('PUBLIC_URL', 'server', baseUrl, 'the public URL; it goes into callback URLs and asset links', { defaultDoc: 'http://localhost:$PORT' }),
  trustProxy: variable(
    'TRUST_PROXY',
    'server',
    trustProxy,
    'whose X-Forwarded-For/-Proto/-Host to believe (client IP, https, host): `false` none (nothing sits in front), `true` any, or the proxies\' addresses/CIDRs, comma-separated',
    { default: 'false' },
  ),
  corsOrigins: variable('CORS_ORIGINS', 'server', origins, 'browser origins that may call /api/v1 directly (CORS, preflight included), comma-separated; empty: none', { default: '' }),
  cronSecret: variable('CRON_SECRET', 'server', text, 'bearer secret of the cron routes (503 while unset)', { secret: true }),
  sessionSecret: variable('SESSION_SECRET', 'server', text, 'the key of the dashboard and playground session cookies (encrypted, with a key derived per kind); set it (32+ characters) when you run more than one instance', {
    secret: true,
    defaultDoc: 'random per process',
  }),
  sessionTtlMs: variable('SESSION_TTL_MINUTES', 'server', minutesAsMs.pipe(z.number().max(7 * 24 * 60 * 60_000)), 'how long a dashboard or playground sign-in lasts', { default: '480' }),
  submitRateLimitPerMinute: variable('SUBMIT_RATE_LIMIT_PER_MINUTE', 'limits', wholeNumber(1), 'submissions per API key per minute per process', { default: '120' }),
  http: {
    requestTimeoutMs: variable('HTTP_REQUEST_TIMEOUT_MS', 'limits', wholeNumber(1000), 'a request\'s headers and body must arrive within this (a slow sender is cut); answers and event streams are not limited', { default: '30000' }),
    maxConnections: variable('HTTP_MAX_CONNECTIONS', 'limits', wholeNumber(1), 'open connections per process, event streams included; keep it under the open-file limit (`ulimit -n`)', { default: '10000' }),
  },
  logLevel: variable('LOG_LEVEL', 'server', oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'pino level; secrets and API keys are redacted', { default: 'info' }),
  kie: {
    apiKey: variable('KIE_API_KEY', 'provider', text, 'KIE.ai API key', { secret: true }),
    baseUrl: variable('KIE_BASE_URL', 'provider', baseUrl, 'KIE.ai API base URL (a simulator in the demo and tests)', { default: 'https://api.kie.ai' }),
    webhookHmacKey: variable('KIE_WEBHOOK_HMAC_KEY', 'provider', text, 'verifies KIE callbacks (X-Webhook-Signature)', { secret: true }),
  },
  replicate: {
    apiToken: variable('REPLICATE_API_TOKEN', 'provider', text, 'Replicate API token; the catalog\'s Replicate models are offered only with it', { secret: true }),
    baseUrl: variable('REPLICATE_BASE_URL', 'provider', baseUrl, 'Replicate API base URL', { default: 'https://api.replicate.com' }),
    webhookSecret: variable('REPLICATE_WEBHOOK_SECRET', 'provider', text, 'verifies Replicate webhooks (Standard Webhooks, `whsec_…`)', { secret: true }),
  },
  modelsFile: variable('MODELS_FILE', 'provider', text, 'JSON model catalog: an array of models extends the built-in one, `{"replace":true,"models":[…]}` replaces it'),
  providerRateLimit: {
    max: variable('PROVIDER_RATE_LIMIT', 'provider', wholeNumber(0, 10_000), 'new provider tasks per window for the whole cluster (KIE: 20 per 10 s); 0: no limit', { default: '20' }),
    windowMs: variable('PROVIDER_RATE_WINDOW_MS', 'provider', wholeNumber(1), 'the rate limit\'s window', { default: '10000' }),
  },
  providerRequestTimeoutMs: variable('PROVIDER_REQUEST_TIMEOUT_MS', 'provider', wholeNumber(1), 'per provider API call (createTask, status), connection included; a createTask that runs out of time is in doubt, not failed, unless it never had a connection (nothing was sent: it is retried like a refusal)', { default: '15000' }),
  providerDownloadTimeoutMs: variable('PROVIDER_DOWNLOAD_TIMEOUT_MS', 'provider', wholeNumber(1), 'a whole result download, headers to last byte', { default: '600000' }),
  userMaxActiveTasks: variable('USER_MAX_ACTIVE_TASKS', 'provider', wholeNumber(0), 'at most this many of one user\'s tasks at the provider at once (processing, or sent and in doubt); the rest wait their turn; 0: no cap', { default: '0' }),
  dispatchDoubtMs: variable('DISPATCH_DOUBT_MS', 'provider', wholeNumber(0), 'a createTask whose answer was lost is in doubt this long (a callback may adopt the provider task it created) before the task is sent again', { default: '600000' }),
  submitWaitMs: variable('SUBMIT_WAIT_MS', 'provider', wholeNumber(0), 'how long a submission waits for the provider\'s createTask answer before answering 202 `pending` (the call goes on in the background)', { default: '3000' }),
  pendingDeadlineMs: variable('PENDING_DEADLINE_MS', 'provider', wholeNumber(1), 'a task the provider has not accepted this long after submission is failed and refunded', { default: '1800000' }),
  downloadAllowedHosts: variable('DOWNLOAD_ALLOWED_HOSTS', 'provider', list, 'result URL hosts (`host` or `host:port`, comma-separated) allowed although they resolve to a loopback, private or link-local address (the simulators\' in the demo and tests)', { default: '' }),
  maxResultBytes: variable('MAX_RESULT_BYTES', 'provider', wholeNumber(1), 'a result file larger than this is refused (the task fails with a refund: `result_refused`)', { default: '2147483648' }),
  storageDir: variable('STORAGE_DIR', 'storage', text, 'local asset storage, served under `/assets/`', { defaultDoc: '$SETTLE_DATA_DIR/assets' }),
  r2: {
    bucket: variable('R2_BUCKET_NAME', 'storage', text, 'S3-compatible storage (R2, S3, MinIO) instead of local; needs the two keys below'),
    accessKeyId: variable('R2_ACCESS_KEY_ID', 'storage', text, 'S3 access key id'),
    secretAccessKey: variable('R2_SECRET_ACCESS_KEY', 'storage', text, 'S3 secret access key', { secret: true }),
    endpoint: variable('R2_ENDPOINT', 'storage', url, 'S3 endpoint (R2: `https://<account>.r2.cloudflarestorage.com`); unset: AWS S3'),
    publicUrl: variable('R2_PUBLIC_URL', 'storage', baseUrl, 'public bucket URL for asset links; unset: presigned GETs (7 days)'),
  },
  smtpUrl: variable('SMTP_URL', 'notifications', text, 'SMTP server for user e-mails (`smtp://user:pass@host:587`); unset: no e-mails', { secret: true }),
  emailFrom: variable('EMAIL_FROM', 'notifications', text, 'sender of user e-mails', { default: 'Settle <no-reply@localhost>' }),
  emailOn: variable('EMAIL_ON', 'notifications', oneOf(['recovered', 'all', 'none']), 'which settlements send the "ready" e-mail', { default: 'recovered' }),
  assetsLibraryUrl: variable('ASSETS_LIBRARY_URL', 'notifications', baseUrl, 'the link in e-mails to the user\'s library', { defaultDoc: '$PUBLIC_URL' }),
  outbox: {
    maxAttempts: variable('OUTBOX_MAX_ATTEMPTS', 'notifications', wholeNumber(1, 100), 'deliveries tried before an entry is dead', { default: '8' }),
    retryBaseMs: variable('OUTBOX_RETRY_BASE_MS', 'notifications', wholeNumber(1), 'first retry delay, doubling', { default: '2000' }),
    retryMaxMs: variable('OUTBOX_RETRY_MAX_MS', 'notifications', wholeNumber(1), 'longest retry delay', { default: '300000' }),
    pollMs: variable('OUTBOX_POLL_MS', 'notifications', wholeNumber(1), 'how often the delivery loop looks for due entries', { default: '1000' }),
  },
  // At most 7 days: the asset links in an event may be presigned URLs, which last 7 days.
  webhookRetryMs: variable('WEBHOOK_RETRY_HOURS', 'notifications', hoursAsMs(7 * 24), 'how long a failing outgoing webhook is retried (with the outbox\'s backoff) before it is dead (decimals allowed)', { default: '24' }),
  slackWebhookUrl: variable('SLACK_WEBHOOK_URL', 'alerts', url, 'Slack incoming webhook for alerts', { secret: true }),
  discordWebhookUrl: variable('DISCORD_WEBHOOK_URL', 'alerts', url, 'Discord webhook for alerts', { secret: true }),
  alertThresholds: {
    errorRate: variable('ALERT_ERROR_RATE', 'alerts', z.coerce.number().min(0).max(1), 'alert when a run\'s error rate is over this…', { default: '0.5' }),
    errorRateMinTasks: variable('ALERT_ERROR_RATE_MIN_TASKS', 'alerts', wholeNumber(1), '…with at least this many tasks', { default: '3' }),
    failedTasks: variable('ALERT_FAILED_TASKS', 'alerts', wholeNumber(1), 'alert when a run failed at least this many tasks', { default: '5' }),
    processingErrors: variable('ALERT_PROCESSING_ERRORS', 'alerts', wholeNumber(1), 'alert on at least this many processing errors in a run', { default: '3' }),
    stuckTasks: variable('ALERT_STUCK_TASKS', 'alerts', wholeNumber(0), 'alert when more tasks than this are stuck…', { default: '20' }),
    stuckAgeMinutes: variable('ALERT_STUCK_AGE_MINUTES', 'alerts', positiveNumber, '…for longer than this', { default: '60' }),
    frozenCredits: variable('ALERT_FROZEN_CREDITS', 'alerts', wholeNumber(0), 'alert when frozen credits total more than this', { default: '10000' }),
    consecutiveFailures: variable('ALERT_CONSECUTIVE_FAILURES', 'alerts', wholeNumber(1), 'alert when this many runs in a row failed', { default: '3' }),
    providerCredits: variable('ALERT_PROVIDER_CREDITS', 'alerts', wholeNumber(0), 'alert when the operator\'s provider account has fewer credits than this (0: off)', { default: '0' }),
    dedupeMinutes: variable('ALERT_DEDUPE_MINUTES', 'alerts', positiveNumber, 'the same condition is not re-sent within this window', { default: '60' }),
  },
  stuckAfterMs: variable('STUCK_AFTER_MINUTES', 'recovery', minutesAsMs, 'a task processing longer than this is stuck (decimals allowed)', { default: '10' }),
  pendingStuckMs: variable('PENDING_STUCK_MINUTES', 'recovery', minutesAsMs, 'a task pending longer than this is re-dispatched', { default: '10' }),
  batchSize: variable('BATCH_SIZE', 'recovery', wholeNumber(1), 'stuck tasks per reconciler batch', { default: '50' }),
  reconcileBudgetMs: variable('RECONCILE_BUDGET_MS', 'recovery', wholeNumber(0), 'how long one reconciler run goes on taking batches while they come back full; 0: one batch per run', { default: '60000' }),
  scheduler: variable('SCHEDULER', 'recovery', z.enum(['on', 'off']).transform((v) => v === 'on'), '`off` leaves the recovery jobs to an outside caller of the cron routes (Vercel cron, a Kubernetes CronJob, supercronic)', { default: 'on' }),
  cronRouteBudgetMs: variable('CRON_ROUTE_BUDGET_MS', 'recovery', wholeNumber(0), 'a cron route\'s run stops taking batches after this long and answers; the backlog goes on at the next call', { default: '25000' }),
  reconcileCron: variable('RECONCILE_CRON', 'recovery', cron, 'the reconciler\'s schedule, or `off`', { default: '*/10 * * * *' }),
  providerAccountCron: variable('PROVIDER_ACCOUNT_CRON', 'recovery', cron, 'when the operator\'s provider accounts are checked (credits left, keys refused), or `off`', { default: '*/5 * * * *' }),
  cleanupCron: variable('CLEANUP_CRON', 'recovery', cron, 'the timeout cleanup\'s schedule, or `off`', { default: '*/15 * * * *' }),
  reconcileConcurrency: variable('RECONCILE_CONCURRENCY', 'recovery', wholeNumber(1), 'tasks a reconciler run handles at once', { default: '10' }),
  cleanupTimeoutMs: variable('CLEANUP_TIMEOUT_MS', 'recovery', wholeNumber(1), 'the cleanup\'s timeout for every task', { defaultDoc: 'each model\'s timeout' }),
  cleanupBatchSize: variable('CLEANUP_BATCH_SIZE', 'recovery', wholeNumber(1), 'tasks per cleanup run', { default: '100' }),
  pruneCron: variable('PRUNE_CRON', 'recovery', cron, 'when old finished tasks\' inputs and stored files are removed (`settle prune`), or `off`', { default: 'off' }),
  pruneOlderThanDays: variable('PRUNE_OLDER_THAN_DAYS', 'recovery', wholeNumber(1), 'a scheduled prune removes the inputs and files of tasks finished longer ago than this many days', { default: '90' }),
  workerPollMinMs: variable('WORKER_POLL_MIN_MS', 'worker', wholeNumber(1), 'first delay between provider checks of one task, doubling…', { default: '5000' }),
  workerPollMaxMs: variable('WORKER_POLL_MAX_MS', 'worker', wholeNumber(1), '…up to this', { default: '60000' }),
  workerConcurrency: variable('WORKER_CONCURRENCY', 'worker', wholeNumber(1), 'tasks the worker advances at once per process', { default: '10' }),
  taskLeaseMs: variable('TASK_LEASE_MS', 'worker', wholeNumber(1), 'how long a claim on a task lasts before another process may take it over', { default: '120000' }),
  events: {
    pollMs: variable('EVENTS_POLL_MS', 'events', wholeNumber(50, 60_000), 'event streams: the change query\'s interval', { default: '250' }),
    nudgeMs: variable('EVENTS_NUDGE_MS', 'events', wholeNumber(0), 'ask the provider about a watched task not checked for this long (0: off)', { default: '2000' }),
    heartbeatMs: variable('EVENTS_HEARTBEAT_MS', 'events', wholeNumber(100), 'the `: ping` interval', { default: '15000' }),
    maxStreamsPerKey: variable('EVENTS_MAX_STREAMS_PER_KEY', 'events', wholeNumber(1), 'open streams per API key per process', { default: '5' }),
  },
} as const;

