import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { themeFile } from '../pageHead.js';

export interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const require = createRequire(import.meta.url);
const publicFile = (name: string): string => fileURLToPath(new URL(`./public/${name}`, import.meta.url));

/**
 * Every file the dashboard loads, from this package only (no CDN, no web fonts): its own script and stylesheet
 * (src/http/ui/dashboard/public, copied next to the compiled code by the build), and uPlot's browser build resolved
 * from node_modules. A fixed list read once, so no request path ever reaches the filesystem.
 */
const FILES: Record<string, { path: () => string; contentType: string }> = {
  'dashboard.js': { path: () => publicFile('dashboard.js'), contentType: 'text/javascript; charset=utf-8' },
  'dashboard.css': { path: () => publicFile('dashboard.css'), contentType: 'text/css; charset=utf-8' },
  'theme.css': { path: () => fileURLToPath(themeFile()), contentType: 'text/css; charset=utf-8' },
  'vendor/uPlot.iife.min.js': { path: () => require.resolve('uplot/dist/uPlot.iife.min.js'), contentType: 'text/javascript; charset=utf-8' },
  'vendor/uPlot.min.css': { path: () => require.resolve('uplot/dist/uPlot.min.css'), contentType: 'text/css; charset=utf-8' },
};

export function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [name, file] of Object.entries(FILES)) {
    const body = readFileSync(file.path());
    assets.set(name, { body, contentType: file.contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
  }
  return assets;
}
