import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_TABLE_END, CONFIG_TABLE_START, ConfigError, configurationTable, envExample, listVariables, loadConfig, VARIABLES } from '../../src/config/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('configuration', () => {
  it('.env.example and the README table are exactly what the declarations say (`npm run config:docs` writes them)', () => {
    expect(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8')).toBe(envExample());
    expect(readme).toContain(`${CONFIG_TABLE_START}\n${configurationTable()}\n${CONFIG_TABLE_END}`);
  });

  it('every declared default parses, and a variable is declared once', () => {
    const names = listVariables(VARIABLES).map(({ variable }) => variable.name);
    expect(new Set(names).size).toBe(names.length);
    expect(() => loadConfig({})).not.toThrow();
  });

  it('a bad value fails with one line naming the variable, never echoing the value', () => {
    expect(() => loadConfig({ BATCH_SIZE: 'lots-of-secret-text' })).toThrow(ConfigError);
    try {
      loadConfig({ BATCH_SIZE: 'lots-of-secret-text' });
    } catch (err) {
      expect((err as Error).message).toMatch(/^Invalid configuration: BATCH_SIZE: /);
      expect((err as Error).message).not.toContain('lots-of-secret-text');
    }
  });

  it('derives the defaults that depend on other variables', () => {
    const config = loadConfig({ PORT: '4321', SETTLE_DATA_DIR: '/data' });
    expect(config.publicUrl).toBe('http://localhost:4321');
    expect(config.storageDir).toBe('/data/assets');
    expect(config.assetsLibraryUrl).toBe('http://localhost:4321');
    expect(config.stuckAfterMs).toBe(600_000);
  });
});
