import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';

const IMAGE = { type: 'image', model: 'google/nano-banana', input: { prompt: 'one budget' } };

describe('the submission budget follows the key, however the Authorization header spells it', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { SUBMIT_RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(() => h.close());

  const submit = (authorization: string) =>
    fetch(`${h.url}/api/v1/tasks`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(IMAGE) });

  it('`Bearer  KEY`, `bearer\\tKEY` and `BEARER KEY` spend the budget of `Bearer KEY`', async () => {
    const { apiKey } = await h.user(1000);
    const spellings = [`Bearer ${apiKey}`, `Bearer  ${apiKey}`, `bearer\t${apiKey}`, `BEARER   ${apiKey}`, `Bearer \t ${apiKey}`];
    const statuses = [];
    for (const spelling of spellings) statuses.push((await submit(spelling)).status);
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
    // Another key has its own budget.
    expect((await submit(`Bearer  ${(await h.user(1000)).apiKey}`)).status).toBe(202);
  });
});
