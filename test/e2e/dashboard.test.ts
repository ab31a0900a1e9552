import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/http/auth/index.js';
import { RECOVERY_JOBS } from '../../src/recovery/index.js';
import { authenticateApiKey, type CreatedUser } from '../../src/users/index.js';
import { bodyBackground, browserTestsEnabled, launchBrowser, screenshotDir, signIn, watchPage } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { usingPostgres } from '../helpers/db.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { openSession, startSessionApp, tamperedCookie } from '../helpers/sessions.js';

const CRON_SECRET = 'cron-secret-for-dashboard-tests';
const VIDEO = { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'a lighthouse in a storm' } };
const PRICE = 30;
const HOUR = 3_600_000;

const enabled = browserTestsEnabled();

/** Four finished runs whose statistics are known: 3 of 4 completed, durations 1, 2, 3 and 6 s. */
const SEEDED = [
  {
    job: 'process-stuck-tasks',
    agoMs: 4 * HOUR,
    status: 'completed',
    duration: 1000,
    results: { totalFound: 5, completed: 2, failed: 1, stillProcessing: 1, retried: 0, redispatched: 0, errors: 1, lateResults: 0 },
    error: null,
  },
  {
    job: 'process-stuck-tasks',
    agoMs: 3 * HOUR,
    status: 'completed',
    duration: 2000,
    results: { totalFound: 3, completed: 1, failed: 0, stillProcessing: 0, retried: 1, redispatched: 1, errors: 0, lateResults: 0 },
    error: null,
  },
  {
    job: 'cleanup-jobs',
    agoMs: 2 * HOUR,
    status: 'completed',
    duration: 3000,
    results: { totalFound: 2, cleanedUp: 2, failed: 0, tokensRefunded: 60, skipped: 0, jobs: [], errors: [] },
    error: null,
  },
  {
    job: 'process-stuck-tasks',
    agoMs: 1 * HOUR,
    status: 'failed',
    duration: 6000,
    results: null,
    // Rendered as text, never as markup: the probe must not run.
    error: 'Provider unreachable <img src=x onerror="document.body.dataset.xss=1">',
  },
] as const;

describe.skipIf(!enabled)('admin dashboard in headless Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let admin: CreatedUser;
  let user: CreatedUser;
  let evil: Server | undefined;

  beforeAll(async () => {
    h = await startHarness({ env: { CRON_SECRET } });
    browser = await launchBrowser();
    admin = await h.user(0, 'admin');
    user = await h.user(1000);
  });
  afterAll(async () => {
    await browser?.close();
    if (evil) await new Promise((resolve) => evil!.close(resolve));
    await h?.close();
  });

  const executionCount = async () => (await h.system.db.query<{ n: number }>('SELECT count(*)::int AS n FROM cron_job_executions')).rows[0]!.n;
  const taskStatus = async (id: string) => (await h.system.db.query<{ status: string; settled_by: string | null }>('SELECT status, settled_by FROM tasks WHERE id = $1', [id])).rows[0]!;
  const raw = (path: string, init: RequestInit = {}) => fetch(h.url + path, { redirect: 'manual', ...init });
  const cookieHeader = (value: string) => ({ cookie: `${SESSION_COOKIE}=${value}` });

  async function newPage(viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport });
    return { context, page: await context.newPage() };
  }

  async function sessionCookie(context: BrowserContext): Promise<string> {
    const cookie = (await context.cookies(h.url)).find((c) => c.name === SESSION_COOKIE);
    expect(cookie).toBeDefined();
    return cookie!.value;
  }

  /**
   * A task the provider finished whose callback was lost and that nobody polled: still processing in the database,
   * and dated back so that it has been processing for 25 minutes (stuck after the default 10).
   */
  async function stuckTask(): Promise<string> {
    h.sim.setFaults({ hangRate: 1, lostCallbackRate: 1 });
    try {
      const res = await h.api(user.apiKey, 'POST', '/api/v1/tasks', VIDEO);
      expect(res.status).toBe(202);
      const row = await waitFor('the task to be processing', async () => {
        const r = await h.system.db.query<{ status: string; provider_task_id: string | null }>('SELECT status, provider_task_id FROM tasks WHERE id = $1', [res.body.taskId]);
        return r.rows[0]?.status === 'processing' ? r.rows[0] : undefined;
      });
      h.sim.finish(row.provider_task_id!, 'success');
      await h.system.db.query(
        `UPDATE tasks SET created_at = created_at - interval '25 minutes', dispatched_at = dispatched_at - interval '25 minutes',
                processing_started_at = processing_started_at - interval '25 minutes' WHERE id = $1`,
        [res.body.taskId],
      );
      return res.body.taskId as string;
    } finally {
      h.sim.setFaults({ hangRate: 0, lostCallbackRate: 0 });
    }
  }

  async function deadLetter(lastError: string): Promise<string> {
    const id = randomUUID();
    await h.system.db.query(
      `INSERT INTO notification_outbox (id, channel, kind, payload, dedupe_key, status, attempts, max_attempts, last_error, created_at)
       VALUES ($1, 'email', 'task_ready', '{"to":"someone@example.com"}', $2, 'dead', 8, 8, $3, now() - interval '2 hours')`,
      [id, `test:${id}`, lastError],
    );
    return id;
  }

  it('without a session, with a user key, or with a forged cookie: sign-in page, and the admin API answers 401/403', async () => {
    const { context, page } = await newPage();

    // No session: every page goes to the sign-in form, and comes back after it.
    for (const path of ['/admin/cron-jobs', '/admin/tasks']) {
      await page.goto(h.url + path);
      expect(new URL(page.url()).pathname).toBe('/admin');
      expect(new URL(page.url()).searchParams.get('next')).toBe(path);
      expect(await page.locator('#apiKey').count()).toBe(1);
    }

    // A user key is refused with a clear message, and no session cookie is set.
    await page.goto(`${h.url}/admin`);
    await page.fill('#apiKey', user.apiKey);
    const [refused] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/login')), page.click('#sign-in-form button[type="submit"]')]);
    expect(refused.status()).toBe(403);
    expect(await page.textContent('#sign-in-error')).toContain('not an admin key');
    expect((await context.cookies(h.url)).map((c) => c.name)).not.toContain(SESSION_COOKIE);

    await page.fill('#apiKey', 'sk_settle_not-a-real-key');
    const [invalid] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/login')), page.click('#sign-in-form button[type="submit"]')]);
    expect(invalid.status()).toBe(401);
    expect(await page.textContent('#sign-in-error')).toContain('not valid');

    // The admin API: anonymous 401, user key 403, on the dashboard's endpoints and the JSON admin API alike.
    const trigger = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ job: 'process-stuck-tasks' }) };
    expect((await raw('/admin/api/trigger-cron', trigger)).status).toBe(401);
    expect((await raw('/admin/api/trigger-cron', { ...trigger, headers: { ...trigger.headers, authorization: `Bearer ${user.apiKey}` } })).status).toBe(403);
    expect((await raw('/admin/partials/cron-jobs')).status).toBe(401);
    expect((await raw('/api/admin/cron-jobs')).status).toBe(401);
    expect((await raw('/api/admin/cron-jobs', { headers: { authorization: `Bearer ${user.apiKey}` } })).status).toBe(403);
    const userOnPage = await raw('/admin/cron-jobs', { headers: { authorization: `Bearer ${user.apiKey}` } });
    expect(userOnPage.status).toBe(303);
    expect(userOnPage.headers.get('location')).toMatch(/^\/admin\?next=/);

    // A genuine session, to forge from.
    await signIn(page, h.url, admin.apiKey);
    const genuine = await sessionCookie(context);
    const setCookie = (await raw('/admin/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.url }, body: `apiKey=${admin.apiKey}` })).headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).toMatch(/Max-Age=\d+/);
    expect(setCookie).toMatch(/Expires=/);
    expect((await raw('/admin/partials/cron-jobs', { headers: cookieHeader(genuine) })).status).toBe(200);

    const tampered = tamperedCookie(genuine);
    const attacker = await startSessionApp(h.system.db, (await authenticateApiKey(h.system.db, admin.apiKey))!, admin.apiKey, 'an-attacker-guess-of-the-secret-0123456789');
    const wrongKey = encodeURIComponent((await openSession(attacker, 'dashboard')).value);
    await attacker.app.close();
    for (const forged of [tampered, wrongKey, 'e30%3BAAAA', 'garbage']) {
      expect((await raw('/admin/partials/cron-jobs', { headers: cookieHeader(forged) })).status).toBe(401);
      expect((await raw('/admin/api/trigger-cron', { ...trigger, headers: { ...trigger.headers, ...cookieHeader(forged), origin: h.url } })).status).toBe(401);
      const forgedPage = await raw('/admin/cron-jobs', { headers: cookieHeader(forged) });
      expect(forgedPage.status).toBe(303);
      expect(forgedPage.headers.get('location')).toContain('expired=1');
    }
    // ... and in the browser: the forged cookie leads to the sign-in form.
    await context.clearCookies();
    await context.addCookies([{ name: SESSION_COOKIE, value: tampered, url: h.url }]);
    await page.goto(`${h.url}/admin/cron-jobs`);
    expect(new URL(page.url()).pathname).toBe('/admin');
    expect(await page.textContent('.notice')).toContain('sign in again');

    // CSRF: the genuine cookie without the page's token, or from another origin, changes nothing.
    const before = await executionCount();
    expect((await raw('/admin/api/trigger-cron', { ...trigger, headers: { ...trigger.headers, ...cookieHeader(genuine) } })).status).toBe(403);
    await context.clearCookies();
    await context.addCookies([{ name: SESSION_COOKIE, value: genuine, url: h.url }]);
    await page.goto(`${h.url}/admin/cron-jobs`);
    const token = await page.getAttribute('meta[name="csrf-token"]', 'content');
    expect(token).toBeTruthy();
    const crossSite = await raw('/admin/api/trigger-cron', { ...trigger, headers: { ...trigger.headers, ...cookieHeader(genuine), 'x-csrf-token': token!, origin: 'http://evil.example' } });
    expect(crossSite.status).toBe(403);

    // A real cross-origin page (another port: same site, so SameSite alone would not stop it) posting a form.
    evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end(
        `<!doctype html><form id="f" method="post" action="${h.url}/admin/api/trigger-cron"><input name="job" value="process-stuck-tasks"></form><script>document.getElementById('f').submit()</script>`,
      );
    });
    await new Promise<void>((resolve) => evil!.listen(0, '127.0.0.1', resolve));
    const evilPort = (evil.address() as { port: number }).port;
    const [attack] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${h.url}/admin/api/trigger-cron`),
      page.goto(`http://127.0.0.1:${evilPort}/`),
    ]);
    expect(attack.status()).toBe(403);
    expect(await executionCount()).toBe(before);

    // Sign-out ends the session: the same cookie value is refused afterwards.
    await page.goto(`${h.url}/admin/cron-jobs`);
    await Promise.all([page.waitForURL(/\/admin\?signed_out=1$/), page.click('#sign-out')]);
    expect(await page.textContent('.notice')).toContain('signed out');
    expect((await context.cookies(h.url)).map((c) => c.name)).not.toContain(SESSION_COOKIE);
    expect((await raw('/admin/partials/cron-jobs', { headers: cookieHeader(genuine) })).status).toBe(401);
    await context.close();
  });

  it('the cards show the statistics of the seeded runs, exactly; rows expand to results and errors, rendered as text', async () => {
    expect(await executionCount()).toBe(0);
    for (const run of SEEDED) {
      // Each run's summary as its job's own rule writes it when the run finishes.
      const s = run.results ? RECOVERY_JOBS.find((j) => j.name === run.job)!.summarize(run.results) : null;
      await h.system.db.query(
        `INSERT INTO cron_job_executions (id, job_name, started_at, completed_at, duration, status, results, error_message, trigger,
                                          found, completed, retried, redispatched, late_results, failed, errors)
         VALUES ($1, $2, now() - make_interval(secs => $3::double precision / 1000), now() - make_interval(secs => $3::double precision / 1000) + make_interval(secs => $4::double precision / 1000), $4, $5, $6::jsonb, $7, 'cron',
                 $8, $9, $10, $11, $12, $13, $14)`,
        [randomUUID(), run.job, run.agoMs, run.duration, run.status, run.results ? JSON.stringify(run.results) : null, run.error,
          s?.found ?? null, s?.completed ?? null, s?.retried ?? null, s?.redispatched ?? null, s?.lateResults ?? null, s?.failed ?? null, s?.errors ?? null],
      );
    }
    const { context, page } = await newPage();
    await signIn(page, h.url, admin.apiKey);
    const card = (stat: string) => page.textContent(`.card[data-stat="${stat}"] .value`);
    expect(await card('totalExecutions')).toBe('4');
    expect(await card('successRate')).toBe('75.0%'); // 3 completed of 4 finished
    expect(await card('avgDuration')).toBe('3.0 s'); // (1 + 2 + 3 + 6) / 4
    expect(await card('tasksRecovered')).toBe('3'); // completed by recovery: 2 + 1
    expect(await card('tasksRetried')).toBe('1');
    expect(await card('tasksRedispatched')).toBe('1');
    expect(await card('tasksFailed')).toBe('3'); // 1 failed + 2 cleaned up (timed out and refunded)
    expect(await card('errorRate')).toBe('10.0%'); // 1 error of 10 tasks found

    // Newest first, with the per-run columns.
    const rows = page.locator('tr.run');
    expect(await rows.count()).toBe(4);
    const cells = async (i: number) => rows.nth(i).locator('td').allTextContents();
    // Found, completed, retried, re-dispatched, failed, errors.
    expect((await cells(0)).slice(2, 11).map((c) => c.trim())).toEqual(['process-stuck-tasks', '6.0 s', 'failed', '—', '—', '—', '—', '—', '—']);
    expect((await cells(1)).slice(2, 11).map((c) => c.trim())).toEqual(['cleanup-jobs', '3.0 s', 'completed', '2', '0', '0', '0', '2', '0']);
    expect((await cells(2)).slice(2, 11).map((c) => c.trim())).toEqual(['process-stuck-tasks', '2.0 s', 'completed', '3', '1', '1', '1', '0', '0']);
    expect((await cells(3)).slice(2, 11).map((c) => c.trim())).toEqual(['process-stuck-tasks', '1.0 s', 'completed', '5', '2', '0', '0', '1', '1']);

    // Expanding: the failed run shows its error message as text; the first run its results JSON.
    const failedId = await rows.nth(0).getAttribute('data-execution-id');
    await rows.nth(0).locator('.toggle-row').click();
    const detail = page.locator(`#run-${failedId}`);
    expect(await detail.isVisible()).toBe(true);
    expect(await detail.locator('.error-message').textContent()).toBe(SEEDED[3].error);
    expect(await page.evaluate(() => document.body.dataset.xss)).toBeUndefined();
    await rows.nth(3).locator('.toggle-row').click();
    const firstId = await rows.nth(3).getAttribute('data-execution-id');
    expect(JSON.parse((await page.locator(`#run-${firstId} .results-json`).textContent())!)).toEqual(SEEDED[0].results);
    await rows.nth(3).locator('.toggle-row').click();
    expect(await page.locator(`#run-${firstId}`).isVisible()).toBe(false);

    // The chart is drawn (uPlot canvas) with one point per finished run.
    await page.waitForSelector('#chart .uplot canvas');
    const series = JSON.parse((await page.getAttribute('#chart-data', 'data-series'))!);
    expect(series.recovered).toEqual([2, 1, 0]);
    expect(series.failed).toEqual([1, 0, 2]);
    await context.close();
  });

  it('Trigger Now adds the run without a reload; a run started elsewhere appears through auto-refresh', async () => {
    const { context, page } = await newPage();
    await signIn(page, h.url, admin.apiKey, '/admin/cron-jobs?refresh=1');
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    const sameDocument = () => page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument === true);
    expect(await page.textContent('#refresh-interval')).toBe('1 s');

    await page.selectOption('#trigger-job', 'cleanup-jobs');
    await page.click('#trigger');
    await page.waitForSelector('#trigger-result.ok[data-execution-id]');
    const triggered = (await page.getAttribute('#trigger-result', 'data-execution-id'))!;
    expect(await page.textContent('#trigger-result')).toContain('Cleaned up 0 of 0 timed-out tasks');
    await page.waitForSelector(`tr.run[data-execution-id="${triggered}"]`);
    const row = await h.system.db.query<{ job_name: string; trigger: string; status: string }>('SELECT job_name, trigger, status FROM cron_job_executions WHERE id = $1', [triggered]);
    expect(row.rows[0]).toEqual({ job_name: 'cleanup-jobs', trigger: 'admin', status: 'completed' });
    await page.waitForFunction(() => document.querySelector('.card[data-stat="totalExecutions"] .value')?.textContent === '5');
    expect(await sameDocument()).toBe(true);

    // A run from the CLI (on PostgreSQL, where another process can reach the database) or from the cron route.
    const stampBefore = await page.getAttribute('#last-updated', 'datetime');
    let external: string;
    if (usingPostgres()) {
      const cli = await runCli(['reconcile', '--json'], { DATABASE_URL: h.database.url, KIE_BASE_URL: h.sim.url, DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1', KIE_API_KEY: 'test-key', STORAGE_DIR: h.system.config.storageDir });
      expect(cli.code, cli.stderr).toBe(0);
      external = JSON.parse(cli.stdout).executionId;
    } else {
      const res = await h.api(CRON_SECRET, 'POST', '/api/cron/process-stuck-tasks');
      expect(res.status).toBe(200);
      external = res.body.executionId;
    }
    await page.waitForSelector(`tr.run[data-execution-id="${external}"]`, { timeout: 15_000 });
    expect(await page.getAttribute('#last-updated', 'datetime')).not.toBe(stampBefore);
    expect(await sameDocument()).toBe(true);

    // The toggle stops it: with auto-refresh off a new run stays off the page (three intervals) until Refresh.
    await page.uncheck('#auto-refresh');
    await page.waitForFunction(() => !document.body.dataset.refreshing);
    const count = await page.evaluate(() => document.body.dataset.refreshCount);
    const res = await h.api(CRON_SECRET, 'POST', '/api/cron/cleanup-jobs');
    expect(res.status).toBe(200);
    await page.waitForTimeout(3_000);
    expect(await page.evaluate(() => document.body.dataset.refreshCount)).toBe(count);
    expect(await page.locator(`tr.run[data-execution-id="${res.body.executionId}"]`).count()).toBe(0);
    await page.click('#refresh');
    await page.waitForSelector(`tr.run[data-execution-id="${res.body.executionId}"]`);
    expect(await sameDocument()).toBe(true);
    await context.close();
  });

  it('Retry on a stuck task (after a confirmation) changes its status in the database and on the page; Re-send re-queues a dead letter', async () => {
    const taskId = await stuckTask();
    const deadId = await deadLetter('SMTP 550 <b>mailbox unavailable</b>');
    const { context, page } = await newPage();
    await signIn(page, h.url, admin.apiKey, '/admin/tasks');

    const row = page.locator(`tr[data-task-id="${taskId}"]`);
    expect(await row.locator('[data-col="status"]').textContent()).toBe('processing');
    expect(await row.locator('[data-col="model"]').textContent()).toBe(VIDEO.model);
    expect(await row.locator('[data-col="user"]').textContent()).toBe(user.email);
    expect(await row.locator('[data-col="attempts"]').textContent()).toBe('1 / 2');
    expect(await page.textContent('[data-stat="frozenTotal"]')).toBe(String(PRICE));
    expect(await page.textContent(`#top-holders tr[data-user-id="${user.userId}"] td:nth-child(2)`)).toBe(String(PRICE));

    // Cancelling the confirmation does nothing.
    const dismissed = new Promise<void>((resolve) => page.once('dialog', (d) => void d.dismiss().then(resolve)));
    await row.locator('button.retry').click();
    await dismissed;
    expect(await row.locator('button.retry').isEnabled()).toBe(true);
    expect((await taskStatus(taskId)).status).toBe('processing');

    page.once('dialog', (d) => void d.accept());
    await row.locator('button.retry').click();
    await page.waitForFunction((id) => document.querySelector(`tr[data-task-id="${id}"] [data-col="status"]`)?.textContent === 'completed', taskId);
    expect(await taskStatus(taskId)).toEqual({ status: 'completed', settled_by: 'admin' });
    expect(await page.textContent('#action-result')).toContain('processing → completed');
    await page.click('#refresh');
    await page.waitForFunction(() => document.querySelector('[data-stat="frozenTotal"]')?.textContent === '0');

    const dead = page.locator(`tr[data-outbox-id="${deadId}"]`);
    expect(await dead.locator('[data-col="error"]').textContent()).toBe('SMTP 550 <b>mailbox unavailable</b>');
    page.once('dialog', (d) => void d.accept());
    await dead.locator('button.resend').click();
    await page.waitForFunction((id) => document.querySelector(`tr[data-outbox-id="${id}"] [data-col="status"]`)?.textContent === 'pending', deadId);
    const entry = await h.system.db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM notification_outbox WHERE id = $1', [deadId]);
    expect(entry.rows[0]).toEqual({ status: 'pending', attempts: 0 });
    await context.close();
  });

  it('loads at 1280 px and 390 px with no console errors, no failed requests, nothing from elsewhere; saves screenshots', async () => {
    await stuckTask();
    await deadLetter('Greeting never received from smtp.example.com:587');
    for (const [width, height] of [[1280, 900], [390, 844]] as const) {
      const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: width < 500 ? 2 : 1 });
      const page = await context.newPage();
      const watch = watchPage(page);
      await signIn(page, h.url, admin.apiKey);
      await page.waitForSelector('#chart .uplot canvas');
      expect(await bodyBackground(page)).toBe('rgb(246, 247, 249)');
      await page.locator('tr.run').first().locator('.toggle-row').click();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: `${screenshotDir()}cron-jobs-${width}.png`, fullPage: true });

      await page.click('nav a[href="/admin/tasks"]');
      await page.waitForURL(`${h.url}/admin/tasks`);
      await page.waitForSelector('#stuck-tasks');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: `${screenshotDir()}tasks-${width}.png`, fullPage: true });

      expect(watch.problems).toEqual([]);
      expect(watch.requests.filter((url) => !url.startsWith(h.url) && !url.startsWith('data:'))).toEqual([]);
      await context.close();
    }
  });
});
