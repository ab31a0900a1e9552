import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedUser } from '../../src/users/index.js';
import { bodyBackground, browserTestsEnabled, launchBrowser, screenshotDir, watchPage, type PageWatch } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean } from '../helpers/ledger.js';

const enabled = browserTestsEnabled();

const text = (page: Page, selector: string) => page.locator(selector).innerText();

describe.skipIf(!enabled)('playground in headless Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let user: CreatedUser;

  beforeAll(async () => {
    browser = await launchBrowser();
    // The simulator serves its own small real media: an H.264/AAC clip and a PNG.
    h = await startHarness({
      sim: { durationMs: [3500, 4000] },
      env: { EVENTS_POLL_MS: '100', EVENTS_NUDGE_MS: '300' },
    });
    user = await h.user(100);
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('signs in with a user key, shows prices and balance, streams progress, plays the video; a failure shows the error and the refund; an image shows', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    const page = await context.newPage();
    const watch: PageWatch = watchPage(page);

    await page.goto(`${h.url}/playground`);
    await page.fill('#apiKey', user.apiKey);
    await Promise.all([page.waitForURL(`${h.url}/playground`), page.click('#sign-in-form button[type="submit"]')]);
    await page.waitForSelector('body[data-ready="true"]');
    const cookie = (await context.cookies()).find((c) => c.name === 'settle_playground')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookie.value).not.toContain(user.apiKey);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(watch.requests.some((u) => u.endsWith('/playground/client/index.js'))).toBe(true);
    expect(await bodyBackground(page)).toBe('rgb(246, 247, 249)');

    expect(await text(page, '#available')).toBe('100');
    expect(await text(page, '#frozen')).toBe('0');
    const options = await page.locator('#model option').allInnerTexts();
    expect(options).toContain('sora-2-text-to-video (video, 30 credits)');
    expect(options).toContain('google/nano-banana (image, 4 credits)');

    // Every value the progress bar takes, as the page sets it.
    await page.evaluate(() => {
      const w = window as unknown as { progressSeen: number[] };
      w.progressSeen = [];
      const bar = document.getElementById('progress') as HTMLProgressElement;
      new MutationObserver(() => w.progressSeen.push(bar.value)).observe(bar, { attributes: true, attributeFilter: ['value'] });
    });
    await page.selectOption('#model', 'sora-2-text-to-video');
    await page.fill('#prompt', 'A red fox running through fresh snow at dawn');
    await page.click('#generate');
    await page.waitForFunction(() => document.getElementById('task-status')?.textContent === 'processing');
    await page.waitForFunction(() => document.getElementById('frozen')?.textContent === '30');

    await page.waitForFunction(() => (document.querySelector('#result video') as HTMLVideoElement | null)?.readyState! >= 2, undefined, { timeout: 30_000 });
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    const between = [...new Set(seen.filter((p) => p > 0 && p < 100))];
    expect(between.length, `progress values seen: ${seen}`).toBeGreaterThanOrEqual(2);
    expect(seen.filter((p) => p > 0)).toEqual([...seen.filter((p) => p > 0)].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(100);
    const video = await page.evaluate(() => {
      const v = document.querySelector('#result video') as HTMLVideoElement;
      return { src: v.currentSrc, width: v.videoWidth, height: v.videoHeight, duration: v.duration };
    });
    expect(video.src).toMatch(new RegExp(`^${h.url}/assets/[0-9a-f]{2}/[0-9a-f-]{36}-0-[0-9a-f]{32}\\.mp4$`));
    expect(video).toMatchObject({ width: 320, height: 180 });
    expect(video.duration).toBeCloseTo(2, 0);
    // It really plays: time moves on after play(), and the page never fell back to its download link.
    await page.evaluate(() => (document.querySelector('#result video') as HTMLVideoElement).play());
    await page.waitForFunction(() => (document.querySelector('#result video') as HTMLVideoElement).currentTime > 0.3, undefined, { timeout: 10_000 });
    expect(await page.getByText('This browser cannot show the result').count()).toBe(0);
    expect(await page.locator('#result-link').count()).toBe(0);
    await page.waitForFunction(() => document.getElementById('frozen')?.textContent === '0');
    expect(await text(page, '#available')).toBe('70');
    expect(await text(page, '#task-status')).toBe('completed');
    await page.screenshot({ path: `${screenshotDir()}playground.png`, fullPage: true });

    h.sim.setFaults({ failRate: 1 });
    try {
      await page.fill('#prompt', 'A storm at sea that the provider refuses to finish');
      await page.click('#generate');
      await page.waitForSelector('#task-error:not([hidden])', { timeout: 30_000 });
    } finally {
      h.sim.setFaults({ failRate: 0 });
    }
    expect(await text(page, '#task-status')).toBe('failed');
    expect(await text(page, '#task-error')).toMatch(/30 credits refunded\.$/);
    expect(await page.locator('#result video').count()).toBe(0);
    await page.waitForFunction(() => document.getElementById('available')?.textContent === '70');
    expect(await text(page, '#frozen')).toBe('0');
    await page.screenshot({ path: `${screenshotDir()}playground-failed.png`, fullPage: true });

    // An image model: the simulator's PNG shows as an image.
    await page.selectOption('#model', 'google/nano-banana');
    await page.fill('#prompt', 'A lighthouse at night');
    await page.click('#generate');
    await page.waitForFunction(() => (document.querySelector('#result img') as HTMLImageElement | null)?.naturalWidth === 320, undefined, { timeout: 30_000 });
    expect(await page.getAttribute('#result img', 'src')).toMatch(new RegExp(`^${h.url}/assets/[0-9a-f]{2}/[0-9a-f-]{36}-0-[0-9a-f]{32}\\.png$`));
    expect(await page.locator('#result-link').count()).toBe(0);
    await page.waitForFunction(() => document.getElementById('available')?.textContent === '66');

    // The client stops reading a stream at its terminal event (the server is closing it anyway); Chromium records
    // that as an aborted request. Anything else is a real problem.
    const aborted = /^request failed: GET .*\/api\/v1\/tasks\/[0-9a-f-]{36}\/events \(net::ERR_ABORTED\)$/;
    expect(watch.problems.filter((p) => !aborted.test(p))).toEqual([]);
    await expectAuditClean(h.system.db);
    await context.close();
  });

  it("shows the price for the chosen inputs from the model's rules, and holds that price", async () => {
    const buyer = await h.user(500);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${h.url}/playground`);
    await page.fill('#apiKey', buyer.apiKey);
    await Promise.all([page.waitForURL(`${h.url}/playground`), page.click('#sign-in-form button[type="submit"]')]);
    await page.waitForSelector('body[data-ready="true"]');

    await page.selectOption('#model', 'sora-2-pro-text-to-video');
    expect(await text(page, '#price')).toBe('90');
    await page.selectOption('#input-size', 'high');
    expect(await text(page, '#price')).toBe('200');
    await page.selectOption('#input-n_frames', '15');
    expect(await text(page, '#price')).toBe('300');
    await page.selectOption('#model', 'google/nano-banana');
    expect(await text(page, '#price')).toBe('4');
    expect(await page.locator('#input-n_frames').count()).toBe(0);
    expect(await page.locator('#input-output_format option').allInnerTexts()).toEqual(['png', 'jpeg']);

    await page.selectOption('#model', 'sora-2-text-to-video');
    await page.selectOption('#input-n_frames', '15');
    expect(await text(page, '#price')).toBe('45');
    h.sim.setFaults({ hangRate: 1 });
    try {
      await page.fill('#prompt', 'Fifteen seconds of rain on a window');
      await page.click('#generate');
      await page.waitForFunction(() => document.getElementById('frozen')?.textContent === '45');
    } finally {
      h.sim.setFaults({ hangRate: 0 });
    }
    const [task] = (await h.api(buyer.apiKey, 'GET', '/api/v1/tasks')).body.tasks;
    expect(task).toMatchObject({ model: 'sora-2-text-to-video', creditsHeld: 45 });
    await h.api(buyer.apiKey, 'POST', `/api/v1/tasks/${task.taskId}/cancel`);
    await context.close();
  });
});
