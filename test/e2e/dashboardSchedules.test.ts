import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/http/auth/index.js';
import type { CreatedUser } from '../../src/users/index.js';
import { browserTestsEnabled, launchBrowser, screenshotDir, signIn, watchPage } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';

const CRON_SECRET = 'cron-secret-for-schedule-toggle-tests';
const JOB = 'process-stuck-tasks';

const enabled = browserTestsEnabled();

describe.skipIf(!enabled)('the pause/resume toggle on the cron-jobs page, in headless Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let admin: CreatedUser;

  beforeAll(async () => {
    h = await startHarness({ env: { CRON_SECRET, RECONCILE_CRON: '*/10 * * * *', CLEANUP_CRON: '*/15 * * * *' } });
    browser = await launchBrowser();
    admin = await h.user(0, 'admin');
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  const switchRow = async (job: string) =>
    (await h.system.db.query<{ paused: boolean; paused_by: string | null; reason: string | null }>('SELECT paused, paused_by, reason FROM cron_schedules WHERE job_name = $1', [job])).rows[0];
  const row = (page: Page, job: string) => page.locator(`tr.schedule[data-job="${job}"]`);

  it('Pause (with a reason) and Resume flip the switch in the database and on the page; Cancel changes nothing; Trigger Now still runs a paused job', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const watch = watchPage(page);
    await signIn(page, h.url, admin.apiKey);

    expect(await row(page, JOB).getAttribute('data-paused')).toBe('false');
    expect(await row(page, JOB).locator('[data-col="state"]').textContent()).toBe('active');
    expect(await row(page, JOB).locator('[data-col="pattern"]').textContent()).toBe('*/10 * * * *');
    expect(await row(page, JOB).locator('[data-col="next"]').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d0:00$/);
    expect(await page.locator('.paused-note').count()).toBe(0);

    // Cancelling the reason prompt keeps the job running.
    const dismissed = new Promise<void>((resolve) => page.once('dialog', (d) => void d.dismiss().then(resolve)));
    await row(page, 'cleanup-jobs').locator('button.schedule-toggle').click();
    await dismissed;
    expect(await switchRow('cleanup-jobs')).toBeUndefined();
    expect(await row(page, 'cleanup-jobs').getAttribute('data-paused')).toBe('false');

    page.once('dialog', (d) => {
      expect(d.type()).toBe('prompt');
      expect(d.message()).toContain(`Pause ${JOB} on every instance?`);
      void d.accept('KIE outage <b>#12</b>');
    });
    await row(page, JOB).locator('button.schedule-toggle').click();
    await page.waitForSelector(`tr.schedule[data-job="${JOB}"][data-paused="true"]`);
    expect(await switchRow(JOB)).toEqual({ paused: true, paused_by: `${admin.email} (dashboard)`, reason: 'KIE outage <b>#12</b>' });
    expect(await page.textContent('#schedule-result')).toBe(`${JOB} is paused on every instance: no scheduled tick runs it until it is resumed`);
    expect(await row(page, JOB).locator('[data-col="state"]').textContent()).toBe('paused');
    expect(await row(page, JOB).locator('[data-col="next"]').textContent()).toBe('paused');
    expect(await row(page, JOB).locator('button.schedule-toggle').textContent()).toBe('Resume');
    expect(await row(page, JOB).locator('button.schedule-toggle').getAttribute('aria-pressed')).toBe('true');
    const note = page.locator(`.paused-note[data-job="${JOB}"]`);
    expect(await note.textContent()).toContain(`${JOB} is paused since`);
    // The reason is shown as text, never as markup.
    expect(await note.textContent()).toContain('(KIE outage <b>#12</b>)');
    expect(await note.locator('b').count()).toBe(0);

    // The cron route skips it; Trigger Now runs it, and the run is marked manual.
    const skipped = await h.api(CRON_SECRET, 'POST', `/api/cron/${JOB}`);
    expect(skipped.body).toMatchObject({ success: true, skipped: true });
    await page.selectOption('#trigger-job', JOB);
    await page.click('#trigger');
    await page.waitForSelector('#trigger-result.ok[data-execution-id]');
    const executionId = (await page.getAttribute('#trigger-result', 'data-execution-id'))!;
    await page.waitForSelector(`tr.run[data-execution-id="${executionId}"]`);
    expect(await page.textContent(`tr.run[data-execution-id="${executionId}"] .tag`)).toBe('manual · admin');
    expect(await row(page, JOB).locator('[data-col="last"] .tag').textContent()).toBe('manual · admin');
    const run = await h.system.db.query('SELECT trigger, status FROM cron_job_executions WHERE id = $1', [executionId]);
    expect(run.rows[0]).toEqual({ trigger: 'admin', status: 'completed' });
    expect((await switchRow(JOB))!.paused).toBe(true);

    await row(page, JOB).locator('button.schedule-toggle').click();
    await page.waitForSelector(`tr.schedule[data-job="${JOB}"][data-paused="false"]`);
    expect(await switchRow(JOB)).toEqual({ paused: false, paused_by: null, reason: null });
    expect(await page.textContent('#schedule-result')).toMatch(new RegExp(`^${JOB} is resumed: the next tick \\(.+\\) runs it$`));
    expect(await page.locator('.paused-note').count()).toBe(0);
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  it('the toggle needs the session and its CSRF token: a cookie alone, or another origin, changes nothing', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, h.url, admin.apiKey);
    const cookie = (await context.cookies(h.url)).find((c) => c.name === SESSION_COOKIE)!.value;
    const token = (await page.getAttribute('meta[name="csrf-token"]', 'content'))!;
    const before = await h.system.db.query('SELECT * FROM cron_schedules ORDER BY job_name');
    const send = (headers: Record<string, string>) =>
      fetch(`${h.url}/api/admin/schedules`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: `${SESSION_COOKIE}=${cookie}`, ...headers },
        body: JSON.stringify({ job: JOB, paused: true, reason: 'KIE answers 500 to every status check' }),
      });
    expect((await send({})).status).toBe(403);
    expect((await send({ 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await send({ 'x-csrf-token': token, origin: 'http://evil.example' })).status).toBe(403);
    expect((await h.system.db.query('SELECT * FROM cron_schedules ORDER BY job_name')).rows).toEqual(before.rows);
    const ok = await send({ 'x-csrf-token': token, origin: h.url });
    expect(ok.status).toBe(200);
    expect((await switchRow(JOB))!.paused).toBe(true);
    await context.close();
  });

  it('a paused job at 1280 px and 390 px: no console errors, nothing wider than the screen; saves screenshots', async () => {
    expect((await switchRow(JOB))!.paused).toBe(true);
    for (const [width, height] of [[1280, 900], [390, 844]] as const) {
      const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: width < 500 ? 2 : 1 });
      const page = await context.newPage();
      const watch = watchPage(page);
      await signIn(page, h.url, admin.apiKey);
      await page.waitForSelector(`.paused-note[data-job="${JOB}"]`);
      expect(await row(page, JOB).locator('button.schedule-toggle').isVisible()).toBe(true);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: `${screenshotDir()}cron-jobs-paused-${width}.png`, fullPage: true });
      expect(watch.problems).toEqual([]);
      expect(watch.requests.filter((url) => !url.startsWith(h.url) && !url.startsWith('data:'))).toEqual([]);
      await context.close();
    }
  });
});
