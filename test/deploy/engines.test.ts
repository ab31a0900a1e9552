import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[]; dev?: boolean }>;
};

/**
 * Settle runs on Node 20, so every installed package must say it does: a dependency that asks for Node 22 may work
 * today by luck (require of an ES module, say) and break on the next patch. The lockfile records each package's
 * `engines`; the lowest Node 20 that package.json allows must satisfy them all.
 */
describe('Node 20', () => {
  it('every package in the lockfile allows the lowest Node that package.json allows', () => {
    const lowest = semver.minVersion(pkg.engines.node)!.version;
    expect(semver.major(lowest)).toBe(20);
    const refusing = Object.entries(lock.packages)
      .filter(([path, info]) => path !== '' && !Array.isArray(info.engines) && info.engines?.node && !semver.satisfies(lowest, info.engines.node))
      .map(([path, info]) => `${path} wants node ${(info.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });
});
