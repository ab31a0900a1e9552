import { hostname } from 'node:os';
import { configuredProviders, type Config } from '../config/index.js';
import { migrate, openDatabase, type DatabaseOptions, type Db } from '../db/index.js';
import {
  findJob,
  runJob,
  type AnyJob,
  type JobRun,
  type JobRunnerDeps,
  type JobTrigger,
  type RunFinishedHook,
  type RunOptions,
} from '../jobs/index.js';
import { createLogger, type Logger } from '../log/index.js';
import { countProviderErrors } from '../metrics/index.js';
import {
  completionEmails,
  createEmailSender,
  createTaskWebhookSender,
  createWebhookSender,
  raiseRunAlerts,
  taskWebhooks,
  type AlertSettings,
  type DeliveryDeps,
  type Senders,
} from '../notify/index.js';
import {
  aroundRegistry,
  createKieProvider,
  createProviderRegistry,
  createReplicateProvider,
  loadCatalog,
  watchProviderHealth,
  withBackOff,
  type Catalog,
  type ProviderHealth,
  type ReplicateProvider,
} from '../providers/index.js';
import { RECOVERY_JOBS } from '../recovery/index.js';
import { createLocalStore, createS3Store, type AssetStore, type LocalAssetStore } from '../storage/index.js';
import { clusterDispatchSlots, type SettlementHook, type TaskDeps } from '../tasks/index.js';

/**
 * Everything a running Settle process is made of, built once from the configuration. This is the composition root:
 * each cross-cutting wrapper is applied here, once — provider metrics and the provider rate limit around the
 * providers every path uses, and the run alerts around every job run.
 */
export interface System {
  config: Config;
  db: Db;
  logger: Logger;
  catalog: Catalog;
  store: AssetStore;
  /** Set when assets live on this machine and the app serves them under /assets. */
  localStore?: LocalAssetStore;
  /** Verifies Replicate webhooks (Standard Webhooks) with REPLICATE_WEBHOOK_SECRET. */
  replicate: ReplicateProvider;
  tasks: TaskDeps;
  /** The operator's provider accounts as this process last found them (/readyz, /metrics). */
  providerHealth: ProviderHealth;
  delivery: DeliveryDeps;
  /** Which channels run alerts go to, and when they fire. */
  alerts: AlertSettings;
  /** The recurring jobs (the scheduler, the cron and admin routes, the CLI, the dashboard and the metrics read them). */
  jobs: readonly AnyJob<TaskDeps>[];
  /** What every run of a job is recorded and alerted with. */
  jobRunner: JobRunnerDeps & { onFinished: RunFinishedHook };
  /** Runs a job now, recorded and alerted like a scheduled run. Throws UnknownJobError and JobAlreadyRunningError. */
  runJob(name: string, trigger: JobTrigger, options?: RunOptions): Promise<JobRun<unknown>>;
  instanceId: string;
  close(): Promise<void>;
}

export interface SystemOptions {
  logger?: Logger;
  /** An already open database (tests); it is closed with the system. */
  db?: Db;
}

export async function createSystem(config: Config, options: SystemOptions = {}): Promise<System> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const catalog = loadCatalog({ modelsFile: config.modelsFile, providers: configuredProviders(config) });
  const db = options.db ?? (await openDatabase(databaseOptions(config, logger)));  await migrate(db);
  const localStore = config.r2 ? undefined : createLocalStore(config.storageDir, config.publicUrl);
  const s3Store = config.r2 ? createS3Store(config.r2) : undefined;
  const store: AssetStore = localStore ?? s3Store!;
  const calls = {
    requestTimeoutMs: config.providerRequestTimeoutMs,
    downloadTimeoutMs: config.providerDownloadTimeoutMs,
    downloads: { allowedHosts: config.downloadAllowedHosts, maxBytes: config.maxResultBytes },
  };
  const replicate = createReplicateProvider({ ...config.replicate, ...calls });
  const kie = createKieProvider({ baseUrl: config.kie.baseUrl, apiKey: config.kie.apiKey, ...calls });
  const providerHealth = watchProviderHealth((state) =>
    logger[state.state === 'ok' ? 'info' : 'warn']({ provider: state.provider, code: state.code }, `provider account ${state.state}`),
  );
  // Every path reaches the providers through the same wrappers: errors counted, account health watched, 429s obeyed.
  const providers = withBackOff(aroundRegistry(aroundRegistry(createProviderRegistry([kie, replicate]), countProviderErrors), providerHealth.around));
  const instanceId = `${hostname()}:${process.pid}`;
  const senders = buildSenders(config, db, store);
  if (!senders.email) logger.info('SMTP_URL is not set: user e-mails are off and none are queued');
  const webhooks = taskWebhooks({ store, retryWindowMs: config.webhookRetryMs });
  const tasks: TaskDeps = {
    db,
    catalog,
    providers,
    providerHealth,
    store,
    logger,
    callbackBaseUrl: config.publicUrl,
    pollMinMs: config.workerPollMinMs,
    pollMaxMs: config.workerPollMaxMs,
    leaseMs: config.taskLeaseMs,
    dispatchSlots: clusterDispatchSlots(db, config.providerRateLimit.max > 0 ? config.providerRateLimit : null),
    userMaxActiveTasks: config.userMaxActiveTasks,
    dispatchDoubtMs: config.dispatchDoubtMs,
    submitWaitMs: config.submitWaitMs,
    pendingDeadlineMs: config.pendingDeadlineMs,
    instanceId,
    onSettled: allOf([senders.email ? completionEmails(config.emailOn, config.outbox.maxAttempts) : undefined, webhooks.onSettled]),
    onRefunded: (tx, task) => webhooks.onRefunded(tx, [task]),
  };
  const delivery: DeliveryDeps = { db, logger, senders, instanceId, retryBaseMs: config.outbox.retryBaseMs, retryMaxMs: config.outbox.retryMaxMs };
  const alerts: AlertSettings = {
    channels: [...(senders.slack ? ['slack' as const] : []), ...(senders.discord ? ['discord' as const] : [])],
    thresholds: config.alertThresholds,
    maxAttempts: config.outbox.maxAttempts,
  };
  const onFinished: RunFinishedHook = (tx, run) => raiseRunAlerts(tx, run, alerts);
  const jobRunner = { db, logger, instanceId, config, onFinished };
  const close = async () => {
    s3Store?.close();
    await db.close();
  };
  return {
    config,
    db,
    logger,
    catalog,
    store,
    localStore,
    replicate,
    tasks,
    providerHealth,
    delivery,
    alerts,
    jobs: RECOVERY_JOBS,
    jobRunner,
    runJob: (name, trigger, runOptions) => runJob(jobRunner, findJob(RECOVERY_JOBS, name), tasks, trigger, runOptions),
    instanceId,
    close,
  };
}

/** The database the configuration names; while it is unreachable at start-up, each try logs one warning. */
export function databaseOptions(config: Config, logger?: Logger): DatabaseOptions {
  return {
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    schema: config.database.schema,
    pooler: config.database.pooler,
    waitMs: config.database.waitMs,
    onWait: logger && ((line) => logger.warn(line)),
  };
}

/** One settlement hook that runs each given hook in turn, in the settling transaction. */
function allOf(hooks: readonly (SettlementHook | undefined)[]): SettlementHook {
  const present = hooks.filter((hook) => hook !== undefined);
  return async (tx, settled) => {
    for (const hook of present) await hook(tx, settled);
  };}

function buildSenders(config: Config, db: Db, store: AssetStore): Senders {
  return {
    webhook: createTaskWebhookSender(db),
    ...(config.smtpUrl && {
      email: createEmailSender({ smtpUrl: config.smtpUrl, from: config.emailFrom, publicUrl: config.publicUrl, libraryUrl: config.assetsLibraryUrl, db, store }),
    }),
    ...(config.slackWebhookUrl && { slack: createWebhookSender(config.slackWebhookUrl) }),
    ...(config.discordWebhookUrl && { discord: createWebhookSender(config.discordWebhookUrl) }),
  };
}
