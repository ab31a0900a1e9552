import { z } from 'zod';
import type { AlertThresholds } from './notify/alerts/evaluateAlerts.js';

const minutes = z.coerce.number().positive();
const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional());
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

const schema = z.object({
  DATABASE_URL: optionalString,
  SETTLE_DATA_DIR: z.string().default('./.settle'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: optionalUrl,
  CRON_SECRET: optionalString,
  SESSION_SECRET: optionalString,
  /** Dashboard session lifetime (sign in again after it). */
  SESSION_TTL_MINUTES: z.coerce.number().positive().max(7 * 24 * 60).default(480),
  KIE_API_KEY: optionalString,
  KIE_BASE_URL: z.string().url().default('https://api.kie.ai'),
  KIE_WEBHOOK_HMAC_KEY: optionalString,
  REPLICATE_API_TOKEN: optionalString,
  REPLICATE_BASE_URL: z.string().url().default('https://api.replicate.com'),
  REPLICATE_WEBHOOK_SECRET: optionalString,
  STORAGE_DIR: optionalString,
  R2_BUCKET_NAME: optionalString,
  R2_ACCESS_KEY_ID: optionalString,
  R2_SECRET_ACCESS_KEY: optionalString,
  R2_ENDPOINT: optionalUrl,
  R2_PUBLIC_URL: optionalUrl,
  SMTP_URL: optionalString,
  EMAIL_FROM: z.string().default('Settle <no-reply@localhost>'),
  EMAIL_ON: z.enum(['recovered', 'all', 'none']).default('recovered'),
  ASSETS_LIBRARY_URL: optionalUrl,
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  OUTBOX_RETRY_BASE_MS: z.coerce.number().int().positive().default(2000),
  OUTBOX_RETRY_MAX_MS: z.coerce.number().int().positive().default(300_000),
  OUTBOX_POLL_MS: z.coerce.number().int().positive().default(1000),
  SLACK_WEBHOOK_URL: optionalUrl,
  ALERT_ERROR_RATE: z.coerce.number().min(0).max(1).default(0.5),
  ALERT_ERROR_RATE_MIN_TASKS: z.coerce.number().int().min(1).default(3),
  ALERT_FAILED_TASKS: z.coerce.number().int().min(1).default(5),
  ALERT_PROCESSING_ERRORS: z.coerce.number().int().min(1).default(3),
  ALERT_STUCK_TASKS: z.coerce.number().int().min(0).default(20),
  ALERT_STUCK_AGE_MINUTES: z.coerce.number().positive().default(60),
  ALERT_FROZEN_CREDITS: z.coerce.number().int().min(0).default(10_000),
  ALERT_CONSECUTIVE_FAILURES: z.coerce.number().int().min(1).default(3),
  ALERT_DEDUPE_MINUTES: z.coerce.number().positive().default(60),
  DISCORD_WEBHOOK_URL: optionalUrl,
  STUCK_AFTER_MINUTES: minutes.default(10),
  PENDING_STUCK_MINUTES: minutes.default(10),
  BATCH_SIZE: z.coerce.number().int().positive().default(50),
  RECONCILE_BUDGET_MS: z.coerce.number().int().min(0).default(60_000),
  RECONCILE_CRON: z.string().default('*/10 * * * *'),
  CLEANUP_CRON: z.string().default('*/15 * * * *'),
  WORKER_POLL_MIN_MS: z.coerce.number().int().positive().default(5000),
  WORKER_POLL_MAX_MS: z.coerce.number().int().positive().default(60000),
  WORKER_CONCURRENCY: z.coerce.number().int().positive().default(10),
  TASK_LEASE_MS: z.coerce.number().int().positive().default(120_000),
  RECONCILE_CONCURRENCY: z.coerce.number().int().positive().default(10),
  CLEANUP_TIMEOUT_MS: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().optional()),
  CLEANUP_BATCH_SIZE: z.coerce.number().int().positive().default(100),
  PROVIDER_RATE_LIMIT: z.coerce.number().int().positive().default(20),
  PROVIDER_RATE_WINDOW_MS: z.coerce.number().int().positive().default(10_000),
  MODELS_FILE: optionalString,
  SUBMIT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(120),
  EVENTS_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(250),
  EVENTS_NUDGE_MS: z.coerce.number().int().min(0).default(2000),
  EVENTS_HEARTBEAT_MS: z.coerce.number().int().min(100).default(15_000),
  EVENTS_MAX_STREAMS_PER_KEY: z.coerce.number().int().positive().default(5),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  databaseUrl?: string;
  dataDir: string;
  port: number;
  host: string;
  publicUrl: string;
  cronSecret?: string;
  sessionSecret?: string;
  /** SESSION_TTL_MINUTES: how long a dashboard sign-in lasts. */
  sessionTtlMs: number;
  kie: { apiKey?: string; baseUrl: string; webhookHmacKey?: string };
  replicate: { apiToken?: string; baseUrl: string; webhookSecret?: string };
  storageDir: string;
  r2?: { bucket: string; accessKeyId: string; secretAccessKey: string; endpoint?: string; publicUrl?: string };
  smtpUrl?: string;
  emailFrom: string;
  emailOn: 'recovered' | 'all' | 'none';
  assetsLibraryUrl: string;
  outbox: { maxAttempts: number; retryBaseMs: number; retryMaxMs: number; pollMs: number };
  alertThresholds: AlertThresholds;
  slackWebhookUrl?: string;
  discordWebhookUrl?: string;
  stuckAfterMs: number;
  pendingStuckMs: number;
  batchSize: number;
  /** How long one reconciler run goes on taking batches while they come back full; 0: one batch per run. */
  reconcileBudgetMs: number;
  reconcileCron: string;
  cleanupCron: string;
  workerPollMinMs: number;
  workerPollMaxMs: number;
  workerConcurrency: number;
  /** How long a claim on a task lasts before another process may take it over. */
  taskLeaseMs: number;
  reconcileConcurrency: number;
  /** Cleanup's timeout for every task; unset means each task's own (its model's) timeout. */
  cleanupTimeoutMs?: number;
  cleanupBatchSize: number;
  /** New provider tasks per window from one process (KIE: 20 per 10 s). */
  providerRateLimit: { max: number; windowMs: number };
  modelsFile?: string;
  submitRateLimitPerMinute: number;
  /** Task event streams: change-query interval, provider nudge interval (0 = off), heartbeat, concurrent streams per key. */
  events: { pollMs: number; nudgeMs: number; heartbeatMs: number; maxStreamsPerKey: number };
  logLevel: string;
}

export class ConfigError extends Error {}

/** Reads the environment once. A bad value fails with one line naming the variable; values are never echoed. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid configuration: ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  if (e.WORKER_POLL_MIN_MS > e.WORKER_POLL_MAX_MS) {
    throw new ConfigError('Invalid configuration: WORKER_POLL_MIN_MS must not exceed WORKER_POLL_MAX_MS');
  }
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.SETTLE_DATA_DIR,
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    cronSecret: e.CRON_SECRET,
    sessionSecret: e.SESSION_SECRET,
    sessionTtlMs: e.SESSION_TTL_MINUTES * 60_000,
    kie: { apiKey: e.KIE_API_KEY, baseUrl: e.KIE_BASE_URL.replace(/\/$/, ''), webhookHmacKey: e.KIE_WEBHOOK_HMAC_KEY },
    replicate: {
      apiToken: e.REPLICATE_API_TOKEN,
      baseUrl: e.REPLICATE_BASE_URL.replace(/\/$/, ''),
      webhookSecret: e.REPLICATE_WEBHOOK_SECRET,
    },
    storageDir: e.STORAGE_DIR ?? `${e.SETTLE_DATA_DIR}/assets`,
    r2: readR2(e),
    smtpUrl: e.SMTP_URL,
    emailFrom: e.EMAIL_FROM,
    emailOn: e.EMAIL_ON,
    assetsLibraryUrl: e.ASSETS_LIBRARY_URL ?? (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    outbox: { maxAttempts: e.OUTBOX_MAX_ATTEMPTS, retryBaseMs: e.OUTBOX_RETRY_BASE_MS, retryMaxMs: e.OUTBOX_RETRY_MAX_MS, pollMs: e.OUTBOX_POLL_MS },
    alertThresholds: {
      errorRate: e.ALERT_ERROR_RATE,
      errorRateMinTasks: e.ALERT_ERROR_RATE_MIN_TASKS,
      failedTasks: e.ALERT_FAILED_TASKS,
      processingErrors: e.ALERT_PROCESSING_ERRORS,
      stuckTasks: e.ALERT_STUCK_TASKS,
      stuckAgeMinutes: e.ALERT_STUCK_AGE_MINUTES,
      frozenCredits: e.ALERT_FROZEN_CREDITS,
      consecutiveFailures: e.ALERT_CONSECUTIVE_FAILURES,
      dedupeMinutes: e.ALERT_DEDUPE_MINUTES,
    },
    slackWebhookUrl: e.SLACK_WEBHOOK_URL,
    discordWebhookUrl: e.DISCORD_WEBHOOK_URL,
    stuckAfterMs: e.STUCK_AFTER_MINUTES * 60_000,
    pendingStuckMs: e.PENDING_STUCK_MINUTES * 60_000,
    batchSize: e.BATCH_SIZE,
    reconcileBudgetMs: e.RECONCILE_BUDGET_MS,
    reconcileCron: e.RECONCILE_CRON,
    cleanupCron: e.CLEANUP_CRON,
    workerPollMinMs: e.WORKER_POLL_MIN_MS,
    workerPollMaxMs: e.WORKER_POLL_MAX_MS,
    workerConcurrency: e.WORKER_CONCURRENCY,
    taskLeaseMs: e.TASK_LEASE_MS,
    reconcileConcurrency: e.RECONCILE_CONCURRENCY,
    cleanupTimeoutMs: e.CLEANUP_TIMEOUT_MS,
    cleanupBatchSize: e.CLEANUP_BATCH_SIZE,
    providerRateLimit: { max: e.PROVIDER_RATE_LIMIT, windowMs: e.PROVIDER_RATE_WINDOW_MS },
    modelsFile: e.MODELS_FILE,
    submitRateLimitPerMinute: e.SUBMIT_RATE_LIMIT_PER_MINUTE,
    events: { pollMs: e.EVENTS_POLL_MS, nudgeMs: e.EVENTS_NUDGE_MS, heartbeatMs: e.EVENTS_HEARTBEAT_MS, maxStreamsPerKey: e.EVENTS_MAX_STREAMS_PER_KEY },
    logLevel: e.LOG_LEVEL,
  };
}

function readR2(e: z.infer<typeof schema>): Config['r2'] {
  if (!e.R2_BUCKET_NAME) return undefined;
  if (!e.R2_ACCESS_KEY_ID || !e.R2_SECRET_ACCESS_KEY) {
    throw new ConfigError('Invalid configuration: R2_BUCKET_NAME is set but R2_ACCESS_KEY_ID or R2_SECRET_ACCESS_KEY is missing');
  }
  return {
    bucket: e.R2_BUCKET_NAME,
    accessKeyId: e.R2_ACCESS_KEY_ID,
    secretAccessKey: e.R2_SECRET_ACCESS_KEY,
    endpoint: e.R2_ENDPOINT,
    publicUrl: e.R2_PUBLIC_URL?.replace(/\/$/, ''),
  };
}
