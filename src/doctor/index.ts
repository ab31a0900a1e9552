import { ConfigError, type Config } from '../config/index.js';
import { checkAlerts, checkDatabase, checkProviders, checkSmtp, checkStorage } from './checks.js';
import type { Check } from './types.js';

export type { Check } from './types.js';
export { checkAccount, configuredProviders, type AccountAnswer } from './providerAccounts.js';

/**
 * `settle doctor`: every part Settle needs, checked the way Settle uses it, without changing anything. With a bad
 * configuration only that is reported: every other check would read it.
 */
export async function runDoctor(readConfig: () => Config): Promise<Check[]> {
  let config: Config;
  try {
    config = readConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return [{ name: 'config', status: 'fail', detail: err.message }];
  }
  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `the embedded database in ${config.dataDir}`;
  const checks: Check[] = [{ name: 'config', status: 'ok', detail: `valid; PUBLIC_URL ${config.publicUrl}, ${where}` }];
  const [database, providers, storage, smtp, alerts] = await Promise.all([
    checkDatabase(config),
    checkProviders(config),
    checkStorage(config),
    checkSmtp(config),
    checkAlerts(config),
  ]);
  return [...checks, database, ...providers, storage, smtp, ...alerts];
}
