import { hostname } from 'node:os';
import type { Config } from './config/index.js';
import { migrate, openDatabase, type DatabaseOptions, type Db } from './db/index.js';
import { createLogger, type Logger } from './log/index.js';
import { instrumentProviders } from './metrics/index.js';
import { createKieProvider, createProviderRegistry, createReplicateProvider, loadCatalog, type Catalog, type ReplicateProvider } from './providers/index.js';
import { createLocalStore, createS3Store, type AssetStore, type LocalAssetStore } from './storage/index.js';
import { completionEmails, createEmailSender, createWebhookSender, type AlertSettings, type DeliveryDeps, type Senders } from './notify/index.js';
import type { TaskDeps } from './tasks/index.js';

/** Everything a running Settle process is made of, built once from the configuration. */
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
  delivery: DeliveryDeps;
  /** Which channels run alerts go to, and when they fire. */
  alerts: AlertSettings;
  close(): Promise<void>;
}

export interface SystemOptions {
  logger?: Logger;
  /** An already open database (tests); it is closed with the system. */
  db?: Db;
}

export async function createSystem(config: Config, options: SystemOptions = {}): Promise<System> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const catalog = loadCatalog(config.modelsFile);
  const db = options.db ?? (await openDatabase(databaseOptions(config, logger)));
  await migrate(db);
  const localStore = config.r2 ? undefined : createLocalStore(config.storageDir, config.publicUrl);
  const s3Store = config.r2 ? createS3Store(config.r2) : undefined;
  const store: AssetStore = localStore ?? s3Store!;
  const replicate = createReplicateProvider(config.replicate);
  const providers = instrumentProviders(
    createProviderRegistry([createKieProvider({ baseUrl: config.kie.baseUrl, apiKey: config.kie.apiKey }), replicate]),
  );
  const instanceId = `${hostname()}:${process.pid}`;
  const senders = buildSenders(config, db, store);
  if (!senders.email) logger.info('SMTP_URL is not set: user e-mails are off and none are queued');
  const tasks: TaskDeps = {
    db,
    catalog,
    providers,
    store,
    logger,
    callbackBaseUrl: config.publicUrl,
    pollMinMs: config.workerPollMinMs,
    pollMaxMs: config.workerPollMaxMs,
    leaseMs: config.taskLeaseMs,
    instanceId,
    onSettled: senders.email ? completionEmails(config.emailOn, config.outbox.maxAttempts) : undefined,
  };
  const delivery: DeliveryDeps = { db, logger, senders, instanceId, retryBaseMs: config.outbox.retryBaseMs, retryMaxMs: config.outbox.retryMaxMs };
  const alerts: AlertSettings = {
    channels: [...(senders.slack ? ['slack' as const] : []), ...(senders.discord ? ['discord' as const] : [])],
    thresholds: config.alertThresholds,
    maxAttempts: config.outbox.maxAttempts,
  };
  const close = async () => {
    s3Store?.close();
    await db.close();
  };
  return { config, db, logger, catalog, store, localStore, replicate, tasks, delivery, alerts, close };
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

function buildSenders(config: Config, db: Db, store: AssetStore): Senders {
  return {
    ...(config.smtpUrl && {
      email: createEmailSender({ smtpUrl: config.smtpUrl, from: config.emailFrom, publicUrl: config.publicUrl, libraryUrl: config.assetsLibraryUrl, db, store }),
    }),
    ...(config.slackWebhookUrl && { slack: createWebhookSender(config.slackWebhookUrl) }),
    ...(config.discordWebhookUrl && { discord: createWebhookSender(config.discordWebhookUrl) }),
  };
}
