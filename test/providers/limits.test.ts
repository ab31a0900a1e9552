import { describe, expect, it } from 'vitest';
import { ProviderError, withBackOff, type Provider } from '../../src/providers/index.js';

describe('provider rate limit and 429 back-off', () => {
  it('a 429 from the provider pauses the next calls through the same registry; a long pause fails them at once', async () => {
    const calls: number[] = [];
    let answer429: number | undefined = 300;
    const provider: Provider = {
      name: 'kie',
      async submit() {
        calls.push(Date.now());
        if (answer429 !== undefined) {
          const retryAfterMs = answer429;
          answer429 = undefined;
          throw new ProviderError('transient', '429', 'Too many requests', { retryAfterMs });
        }
        return { providerTaskId: 'p' };
      },
      status: async () => ({ state: 'running' }),
      parseCallback: () => {
        throw new Error('unused');
      },
      download: async () => {
        throw new Error('unused');
      },
    };
    const limited = withBackOff({ get: () => provider });
    expect(limited.get('kie')).toBe(limited.get('kie'));
    const kie = limited.get('kie');
    const request = { taskId: 't', model: 'm', input: {} };
    await expect(kie.submit(request)).rejects.toMatchObject({ code: '429' });
    await kie.submit(request);
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(290);

    answer429 = 60_000;
    await expect(kie.submit(request)).rejects.toMatchObject({ code: '429' });
    const before = calls.length;
    await expect(kie.status('p')).rejects.toMatchObject({ code: 'rate_limited', kind: 'transient' });
    expect(calls.length).toBe(before);
  });

  it('bounds the wait a provider may impose with Retry-After', () => {
    expect(new ProviderError('transient', '429', 'x', { retryAfterMs: 10 * 24 * 3600_000 }).retryAfterMs).toBe(5 * 60_000);
  });
});
