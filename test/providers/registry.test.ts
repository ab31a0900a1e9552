import { describe, expect, it } from 'vitest';
import { createKieProvider, createProviderRegistry } from '../../src/providers/index.js';

describe('createProviderRegistry', () => {
  it('finds a provider by name and names the configured ones for an unknown name', () => {
    const kie = createKieProvider({ baseUrl: 'http://127.0.0.1:1' });
    const registry = createProviderRegistry([kie]);
    expect(registry.get('kie')).toBe(kie);
    expect(() => registry.get('replicate')).toThrow('Unknown provider "replicate" (configured: kie)');
  });
});
