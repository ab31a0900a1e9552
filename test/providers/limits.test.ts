import { describe, expect, it } from 'vitest';
import { ProviderError, ProviderGate, withRateLimits, type Provider } from '../../src/providers/index.js';

describe('provider rate limit and 429 back-off', () => {
  it('lets at most max dispatches through in any window', async () => {
    const gate = new ProviderGate({ max: 3, windowMs: 300 });
    const started = Date.now();
    const at: number[] = [];
    for (let i = 0; i < 7; i++) {
      await gate.acquireDispatch();
      at.push(Date.now() - started);
    }
    for (let i = 0; i + 3 < at.length; i++) expect(at[i + 3]! - at[i]!).toBeGreaterThanOrEqual(295);
    expect(at[2]!).toBeLessThan(100); // the first three at once
  });

  it('after a 429 every call waits out the pause; a slot that cannot free up in time is a transient error', async () => {
    const gate = new ProviderGate(null);
    gate.backOff(250);
    const started = Date.now();
    await gate.whenOpen();
    await gate.acquireDispatch();
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    gate.backOff(60_000);
    await expect(gate.acquireDispatch()).rejects.toMatchObject({ kind: 'transient', code: 'rate_limited' });
  });

  it('a 429 from the provider pauses the next calls through the same registry', async () => {
    const calls: number[] = [];
    let first = true;
    const provider: Provider = {
      name: 'kie',
      async submit() {
        calls.push(Date.now());
        if (first) {
          first = false;
          throw new ProviderError('transient', '429', 'Too many requests', 300);
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
    const limited = withRateLimits({ get: () => provider }, { max: 100, windowMs: 1000 });
    expect(limited.get('kie')).toBe(limited.get('kie'));
    const kie = limited.get('kie');
    const request = { taskId: 't', model: 'm', input: {} };
    await expect(kie.submit(request)).rejects.toMatchObject({ code: '429' });
    await kie.submit(request);
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(290);
  });
});
