import type { Config } from '../config/index.js';
import { createKieProvider, createReplicateProvider, ProviderError, type Provider } from '../providers/index.js';

export type AccountAnswer = { ok: true; detail: string } | { ok: false; detail: string };

const TIMEOUT_MS = 10_000;

/** The configured providers' adapters, asked about the operator's account (`settle doctor`). */
export function configuredProviders(config: Config): { name: string; provider: Provider }[] {
  const options = { requestTimeoutMs: TIMEOUT_MS };
  return [
    ...(config.kie.apiKey ? [{ name: 'kie', provider: createKieProvider({ ...config.kie, ...options }) }] : []),
    ...(config.replicate.apiToken ? [{ name: 'replicate', provider: createReplicateProvider({ ...config.replicate, ...options }) }] : []),
  ];
}

/** Reachable, the key valid, and the credits left where the provider counts them (none left: every task would fail). */
export async function checkAccount(provider: Provider): Promise<AccountAnswer> {
  try {
    const account = await provider.account!();
    if (account.credits !== undefined && account.credits <= 0) {
      return { ok: false, detail: `key accepted, but the account has ${account.credits} credits left: every task would wait (KIE 402)` };
    }
    if (account.credits !== undefined) return { ok: true, detail: `key accepted, ${account.credits} credits left` };
    return { ok: true, detail: `token accepted${account.name ? `, account ${account.name}` : ''}` };
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    if (err.code === '401' || err.code === '403') return { ok: false, detail: `the API key was refused (${err.message})` };
    return { ok: false, detail: err.message };
  }
}

/** fetch's "fetch failed" hides the reason (ECONNREFUSED, ENOTFOUND, a timeout) in its cause. */
export function reason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
