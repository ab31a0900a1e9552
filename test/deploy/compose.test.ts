import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { listVariables, loadConfig, VARIABLES } from '../../src/config/index.js';
import { envOf, parseDockerfile } from './dockerfile.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const compose = parse(readFileSync(resolve(DEPLOY, 'docker-compose.yml'), 'utf8'));
const settle = compose.services.settle;
const postgres = compose.services.postgres;

/** Compose's interpolation: `${X}`, `${X:-default}` and `${X:?message}` (which fails while X is unset or empty). */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_all, name: string, op?: string, arg?: string) => {
    const set = env[name];
    if (set) return set;
    if (op === '?') throw new Error(`${name}: ${arg}`);
    return op === '-' ? (arg ?? '') : '';
  });
}

const interpolated = (env: Record<string, string>) =>
  Object.fromEntries(Object.entries(settle.environment as Record<string, string>).map(([k, v]) => [k, interpolate(String(v), env)]));

describe('deploy/docker-compose.yml', () => {
  it('builds Settle from deploy/Dockerfile and starts it once PostgreSQL is healthy', () => {
    expect(existsSync(resolve(DEPLOY, settle.build.context, settle.build.dockerfile))).toBe(true);
    expect(resolve(DEPLOY, settle.build.context, settle.build.dockerfile)).toBe(resolve(DEPLOY, 'Dockerfile'));
    expect(settle.depends_on.postgres.condition).toBe('service_healthy');
    expect(postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(postgres.image).toMatch(/^postgres:/);
  });

  it('sets only variables Settle declares', () => {
    const declared = new Set(listVariables(VARIABLES).map(({ variable }) => variable.name));
    expect(Object.keys(settle.environment).filter((name) => !declared.has(name))).toEqual([]);
  });

  it('refuses to start without the secrets a deployment needs, and with them the configuration loads', () => {
    for (const missing of ['CRON_SECRET', 'SESSION_SECRET', 'KIE_API_KEY']) {
      const env = { CRON_SECRET: 'c'.repeat(32), SESSION_SECRET: 's'.repeat(32), KIE_API_KEY: 'k', [missing]: '' };
      expect(() => interpolated(env)).toThrow(new RegExp(`^${missing}: set ${missing}`));
    }
    const config = loadConfig(interpolated({ CRON_SECRET: 'c'.repeat(32), SESSION_SECRET: 's'.repeat(32), KIE_API_KEY: 'k', PUBLIC_URL: 'https://settle.example.com' }));
    expect(config).toMatchObject({ cronSecret: 'c'.repeat(32), publicUrl: 'https://settle.example.com', emailFrom: 'Settle <no-reply@localhost>' });
  });

  it("reaches the postgres service with its user, password and database, and keeps Settle's data on a volume", () => {
    for (const password of [undefined, 'from-env']) {
      const env = { CRON_SECRET: 'c', SESSION_SECRET: 's', KIE_API_KEY: 'k', ...(password && { POSTGRES_PASSWORD: password }) };
      const url = new URL(interpolated(env).DATABASE_URL!);
      expect(url.hostname).toBe('postgres');
      expect(decodeURIComponent(url.username)).toBe(postgres.environment.POSTGRES_USER);
      expect(decodeURIComponent(url.password)).toBe(interpolate(postgres.environment.POSTGRES_PASSWORD, env));
      expect(url.pathname).toBe(`/${postgres.environment.POSTGRES_DB}`);
    }
    const image = envOf(parseDockerfile(resolve(DEPLOY, 'Dockerfile')).at(-1)!.instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' '));
    expect(settle.volumes.map((v: string) => v.split(':')[1])).toContain(image.SETTLE_DATA_DIR);
    expect(settle.ports.map((p: string) => p.split(':')[1])).toContain(image.PORT);
  });
});
