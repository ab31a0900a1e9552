import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, launchBrowser, signIn } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { addEndpoint, deadEvent, deliverUntil, forTask, HANGING_SIM, header, type Endpoint } from '../notify/webhookHelpers.js';

const enabled = browserTestsEnabled();

describe.skipIf(!enabled)('outgoing webhooks in headless Chromium: the dashboard\'s dead letters and verifyWebhook in a browser', () => {
  let h: Harness;
  let browser: Browser;
  let receiver: Receiver;
  let endpoint: Endpoint;
  let admin: string;

  beforeAll(async () => {
    h = await startHarness({ sim: HANGING_SIM, env: { WEBHOOK_RETRY_HOURS: String(1_000 / 3_600_000), OUTBOX_RETRY_BASE_MS: '100', OUTBOX_RETRY_MAX_MS: '200' } });
    browser = await launchBrowser();
    receiver = await startReceiver({ path: '/hooks/settle' });
    admin = (await h.user(0, 'admin')).apiKey;
    endpoint = await addEndpoint(h, admin, receiver.url);
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await h?.close();
  });

  it('a dead webhook shows among the dead letters; Re-send delivers it, and settle/client verifies it in the browser', async () => {
    const { taskId, entryId } = await deadEvent(h, receiver);
    const attempts = forTask(receiver.requests, taskId).length;
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, h.url, admin, '/admin/tasks');
    const row = page.locator(`tr[data-outbox-id="${entryId}"]`);
    expect(await row.locator('td[data-label="Channel"]').textContent()).toBe('webhook');
    expect(await row.locator('td[data-label="Kind"]').textContent()).toBe('task.completed');
    expect(await row.locator('td[data-label="Attempts"]').textContent()).toBe(String(attempts));
    expect(await row.locator('[data-col="error"]').textContent()).toBe('the endpoint answered HTTP 503');

    receiver.answerNext(0, 200);
    page.once('dialog', (d) => void d.accept());
    await row.locator('button.resend').click();
    await page.waitForFunction((id) => document.querySelector(`tr[data-outbox-id="${id}"] [data-col="status"]`)?.textContent === 'pending', entryId);
    const delivery = await deliverUntil(h, 'the re-sent event', () => forTask(receiver.received, taskId)[0]);

    // The shipped settle/client, as a browser loads it, checks the real delivery with Web Crypto.
    await page.goto(`${h.url}/healthz`);
    await page.addScriptTag({ type: 'module', content: "import * as client from '/playground/client/index.js'; window.settleClient = client;" });
    await page.waitForFunction(() => 'settleClient' in window);
    const verdicts = await page.evaluate(async ({ raw, headers, secret }) => {
      const { verifyWebhook } = (window as unknown as { settleClient: typeof import('../../src/client/index.js') }).settleClient;
      const event = await verifyWebhook(raw, new Headers(headers), secret);
      const refusal = await verifyWebhook(raw.replace('"completed"', '"failed"'), headers, secret).then(
        () => 'accepted',
        (err: Error) => `${err.name}: ${err.message}`,
      );
      return { event, refusal, secureContext: window.isSecureContext };
    }, { raw: delivery.raw, headers: delivery.headers as Record<string, string>, secret: endpoint.secret });
    expect(verdicts.secureContext).toBe(true);
    expect(verdicts.event).toEqual(JSON.parse(delivery.raw));
    expect(verdicts.event).toMatchObject({ id: header(delivery.headers, 'webhook-id'), type: 'task.completed', data: { taskId } });
    expect(verdicts.refusal).toMatch(/^WebhookVerificationError: No webhook-signature matches/);
    await context.close();
  }, 60_000);
});
