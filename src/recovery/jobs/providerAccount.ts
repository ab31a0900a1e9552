import { configuredProviders } from '../../config/index.js';
import type { JobDescriptor } from '../../jobs/index.js';
import { ProviderError } from '../../providers/index.js';
import type { TaskDeps } from '../../tasks/index.js';

export interface AccountReading {
  provider: string;
  /** ok, or why the operator's account needs attention. */
  state: 'ok' | 'low' | 'refused' | 'unreachable';
  credits?: number;
  detail: string;
}

export interface ProviderAccountResult {
  providers: AccountReading[];
}

/**
 * "The operator's provider account is not the user's fault" (DESIGN section 11): each run asks every configured
 * provider about the account (KIE: the credits left), and looks at what this process last met when calling it (an
 * account error such as 402, 433 or 429). A run that finds an account out of order, or with fewer credits than
 * ALERT_PROVIDER_CREDITS, fails naming it, which raises the provider_account alert (and clears it once a run passes).
 */
export const providerAccount: JobDescriptor<TaskDeps, ProviderAccountResult> = {
  name: 'provider-account',
  title: 'Provider account',
  schedule: { variable: 'PROVIDER_ACCOUNT_CRON', pattern: (config) => config.providerAccountCron },
  async run({ deps, config }) {
    const providers = await Promise.all(configuredProviders(config).map((name) => read(deps, name, config.alertThresholds.providerCredits)));
    const troubled = providers.filter((p) => p.state !== 'ok');
    if (troubled.length > 0) throw new Error(troubled.map((p) => `${p.provider}: ${p.detail}`).join('; '));
    return { providers };
  },
  summarize: (r) => ({ found: r.providers.length, completed: 0, retried: 0, redispatched: 0, lateResults: 0, failed: 0, errors: 0 }),
  describe: (r) => r.providers.map((p) => `${p.provider}: ${p.detail}`).join('; ') || 'no provider is configured',
  answer: (run) => ({ success: true, message: providerAccount.describe(run.results!), results: run.results, executionId: run.executionId, duration: run.durationMs }),
};

async function read(deps: TaskDeps, name: string, lowCredits: number): Promise<AccountReading> {
  const seen = deps.providerHealth.states().find((s) => s.provider === name && s.state === 'degraded');
  if (seen) return { provider: name, state: 'refused', detail: `refused work with ${seen.code} since ${seen.since.toISOString()}: ${seen.message}` };
  const provider = deps.providers.get(name);
  if (!provider.account) return { provider: name, state: 'ok', detail: 'answering' };
  try {
    const { credits } = await provider.account();
    if (credits === undefined) return { provider: name, state: 'ok', detail: 'key accepted' };
    if (credits < Math.max(1, lowCredits)) return { provider: name, state: 'low', credits, detail: `${credits} credits left (alert below ${lowCredits})` };
    return { provider: name, state: 'ok', credits, detail: `${credits} credits left` };
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    return { provider: name, state: err.account ? 'refused' : 'unreachable', detail: err.message };
  }
}
