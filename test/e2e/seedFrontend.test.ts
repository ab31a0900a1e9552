import { readdirSync, readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, launchBrowser } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';

const SEEDS = '/work/shared/seeds/';
const enabled = browserTestsEnabled();

/** The front-end loop of seed 004 ("Modify src/components/video-generator.tsx", the After block), verbatim. */
function seedLoop(): string {
  const name = readdirSync(SEEDS).find((f) => f.startsWith('004'))!;
  const text = readFileSync(SEEDS + name, 'utf8');
  const phase3 = text.slice(text.indexOf('### Phase 3: Frontend Changes'));
  const after = phase3.slice(phase3.indexOf('**After**:'));
  const code = /```typescript\n([\s\S]*?)\n```/.exec(after)![1]!;
  expect(code).toContain("setTimeout(pollStatus, 5000)");
  expect(code).toContain("body: JSON.stringify(params)");
  return code;
}

/**
 * The seed's component, around its loop: `params` is what the form would send, and setResult / setError are the
 * React state setters the loop calls (here they resolve the run). Every request the loop makes is recorded.
 */
const component = (code: string, params: object) => `new Promise((resolve) => {
  const params = ${JSON.stringify(params)};
  const setResult = (result) => resolve({ result });
  const setError = (error) => resolve({ error });
  (async () => {
${code}
  })().catch((err) => resolve({ thrown: String(err) }));
})`;

describe.skipIf(!enabled)("seed 004's front-end loop, run as written in Chromium", () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
    // Long enough that the loop polls at least twice at its 5 s interval.
    h = await startHarness({ sim: { durationMs: [6000, 7000] }, env: { SESSION_SECRET: 'seed-frontend-session-secret-0123456789' } });
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('submits with a text/plain body from a signed-in page of the same origin, polls every 5 s, and gets the video', async () => {
    const user = await h.user(100);
    const page = await (await browser.newContext()).newPage();
    const requests: { method: string; url: string; contentType?: string; at: number }[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/')) requests.push({ method: r.method(), url: r.url(), contentType: r.headers()['content-type'], at: Date.now() });
    });
    await page.goto(`${h.url}/playground`);
    await page.fill('#apiKey', user.apiKey);
    await Promise.all([page.waitForURL(`${h.url}/playground`), page.click('#sign-in-form button[type="submit"]')]);
    await page.waitForSelector('body[data-ready="true"]');
    requests.length = 0;

    const outcome = (await page.evaluate(component(seedLoop(), { prompt: 'a paper boat on a lake', model: 'sora-2-text-to-video' }))) as {
      result?: { videoUrl: string };
      error?: string;
    };
    expect(outcome.error).toBeUndefined();
    expect(outcome.result?.videoUrl).toMatch(new RegExp(`^${h.url}/assets/`));

    const submit = requests.filter((r) => r.method === 'POST');
    expect(submit).toHaveLength(1);
    expect(submit[0]!.url).toBe(`${h.url}/api/v1/generate-video`);
    expect(submit[0]!.contentType).toMatch(/^text\/plain/);
    const polls = requests.filter((r) => r.url.includes('/api/v1/video-status/'));
    expect(polls.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < polls.length; i++) expect(polls[i]!.at - polls[i - 1]!.at).toBeGreaterThanOrEqual(4900);
    expect((await h.api(user.apiKey, 'GET', '/api/v1/credits')).body).toEqual({ balance: 70, frozen: 0, available: 70 });
    await expectAuditClean(h.system.db);
  });

  it('a task canceled while the loop polls ends the loop with error "canceled", refunded', async () => {
    const user = await h.user(100);
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${h.url}/playground`);
    await page.fill('#apiKey', user.apiKey);
    await Promise.all([page.waitForURL(`${h.url}/playground`), page.click('#sign-in-form button[type="submit"]')]);
    const run = page.evaluate(component(seedLoop(), { prompt: 'canceled midway' }));
    const taskId = await waitFor('the page to submit its task', async () => {
      const { rows } = await h.system.db.query<{ id: string }>('SELECT id FROM tasks WHERE user_id = $1', [user.userId]);
      return rows[0]?.id;
    });
    expect((await h.api(user.apiKey, 'POST', `/api/v1/tasks/${taskId}/cancel`)).status).toBe(200);
    expect(await run).toEqual({ error: 'canceled' });
    expect((await h.api(user.apiKey, 'GET', '/api/v1/credits')).body).toEqual({ balance: 100, frozen: 0, available: 100 });
  });
});
