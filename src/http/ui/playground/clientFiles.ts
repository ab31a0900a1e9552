import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { themeFile } from '../pageHead.js';

export interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

const staticFile = (body: Buffer, extension: string): StaticFile => ({
  body,
  contentType: CONTENT_TYPES[extension]!,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
});

/**
 * The page's own script and stylesheet (src/http/ui/playground/public) and the theme it shares with the dashboard,
 * copied next to the compiled code by the build.
 */
export function loadPageFiles(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of ['playground.js', 'playground.css']) {
    const path = fileURLToPath(new URL(`./public/${name}`, import.meta.url));
    files.set(name, staticFile(readFileSync(path), name.split('.').pop()!));
  }
  files.set('theme.css', staticFile(readFileSync(themeFile()), 'css'));
  return files;
}

/**
 * The built settle/client (dist/client/*.js), which the page imports as it is: the same files an integrator gets.
 * Both src/http/playground and dist/http/playground sit three levels below the package root, so one relative path
 * finds dist/client from either. Read once into a fixed map, so no request path reaches the filesystem.
 */
export function loadClientFiles(): Map<string, StaticFile> {
  const dir = fileURLToPath(new URL('../../../../dist/client/', import.meta.url));
  const files = new Map<string, StaticFile>();
  if (!existsSync(dir)) return files;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.js'))) files.set(name, staticFile(readFileSync(dir + name), 'js'));
  return files;
}
