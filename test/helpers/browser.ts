import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The system Chromium (apt package); never a downloaded one. CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Whether the browser tests can run. Without Chromium they are skipped with the reason printed, unless
 * REQUIRE_CHROMIUM=1 (CI), where a missing browser is a failure rather than a silent skip.
 */
export function browserTestsEnabled(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const missing = `Chromium not found at ${CHROMIUM_PATH}`;
  if (process.env.REQUIRE_CHROMIUM === '1') throw new Error(`${missing}, and REQUIRE_CHROMIUM=1 requires the browser tests to run`);
  console.warn(`${missing}: the browser tests are skipped (install the chromium package, or set CHROMIUM_PATH)`);
  return false;
}

/**
 * Where the browser tests save their screenshots: the README's own (docs/screenshots) only with
 * UPDATE_SCREENSHOTS=1, so that running the suite leaves the working tree as it was. Ends with a slash.
 */
export function screenshotDir(): string {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url)) : join(tmpdir(), 'settle-screenshots/');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

export interface PageWatch {
  /** Console errors, uncaught page errors, failed requests and HTTP error answers, in order. */
  problems: string[];
  /** Every URL the page requested. */
  requests: string[];
}

/** Records everything that would show up as an error in the browser's devtools. */
export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { problems: [], requests: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') watch.problems.push(`console ${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => watch.problems.push(`page error: ${err.message}`));
  page.on('request', (req) => watch.requests.push(req.url()));
  page.on('requestfailed', (req) => watch.problems.push(`request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText})`));
  page.on('response', (res) => {
    if (res.status() >= 400) watch.problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  return watch;
}

/** The page's body colour: the shared theme's --bg (rgb(246, 247, 249)) once ui/public/theme.css has loaded. */
export const bodyBackground = (page: Page): Promise<string> => page.evaluate(() => getComputedStyle(document.body).backgroundColor);

/** Signs in through the form at /admin and waits for the page it leads to. */
export async function signIn(page: Page, baseUrl: string, apiKey: string, next = '/admin/cron-jobs'): Promise<void> {
  await page.goto(`${baseUrl}/admin?next=${encodeURIComponent(next)}`);
  await page.fill('#apiKey', apiKey);
  await Promise.all([page.waitForURL(`${baseUrl}${next}`), page.click('#sign-in-form button[type="submit"]')]);
}
