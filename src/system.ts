import { hostname } from 'node:os';
import type { Config } from './config.js';
import { migrate, openDatabase, type Db } from './db/index.js';
import { createLogger, type Logger } from './log/index.js';
import { createKieProvider, createProviderRegistry, loadCatalog, type Catalog } from './providers/index.js';
import { createLocalStore, type LocalAssetStore } from './storage/index.js';
import type { TaskDeps } from './tasks/index.js';

/** Everything a running Settle process is made of, built once from the configuration. */
export interface System {
  config: Config;
  db: Db;
  logger: Logger;
  catalog: Catalog;
  store: LocalAssetStore;
  tasks: TaskDeps;
  close(): Promise<void>;
}

const LEASE_MS = 120_000;

export interface SystemOptions {
  logger?: Logger;
  /** An already open database (tests); it is closed with the system. */
  db?: Db;
}

export async function createSystem(config: Config, options: SystemOptions = {}): Promise<System> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const catalog = loadCatalog(config.modelsFile);
  const db = options.db ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  await migrate(db);
  const store = createLocalStore(config.storageDir, config.publicUrl);
  const providers = createProviderRegistry([createKieProvider({ baseUrl: config.kie.baseUrl, apiKey: config.kie.apiKey })]);
  const tasks: TaskDeps = {
    db,
    catalog,
    providers,
    store,
    logger,
    callbackBaseUrl: config.publicUrl,
    pollMinMs: config.workerPollMinMs,
    pollMaxMs: config.workerPollMaxMs,
    leaseMs: LEASE_MS,
    instanceId: `${hostname()}:${process.pid}`,
  };
  return { config, db, logger, catalog, store, tasks, close: () => db.close() };
}
