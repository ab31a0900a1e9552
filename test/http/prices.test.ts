import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/providers/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { tableCounts } from '../helpers/ledger.js';

const video = (model: string, input: Record<string, unknown>) => ({ type: 'video', model, input: { prompt: 'a tide pool', ...input } });

describe('prices by input and input schemas per model', () => {
  let h: Harness;
  beforeAll(async () => {
    // Tasks stay live, so each hold shows as frozen credits.
    h = await startHarness({ sim: { hangRate: 1 } });
  });
  afterAll(() => h.close());

  it('creditsHeld is the matched price: Sora 2 by n_frames, Sora 2 Pro by n_frames and size, nano-banana flat', async () => {
    const cases: [unknown, number][] = [
      [video('sora-2-text-to-video', {}), 30],
      [video('sora-2-text-to-video', { n_frames: '10' }), 30],
      [video('sora-2-text-to-video', { n_frames: '15', aspect_ratio: 'portrait' }), 45],
      [video('sora-2-image-to-video', { n_frames: '15', image_urls: ['https://example.com/first.png'] }), 45],
      [video('sora-2-pro-text-to-video', {}), 90],
      [video('sora-2-pro-text-to-video', { n_frames: '15' }), 135],
      [video('sora-2-pro-text-to-video', { size: 'high' }), 200],
      [video('sora-2-pro-text-to-video', { size: 'high', n_frames: '15', remove_watermark: true }), 300],
      [{ type: 'image', model: 'google/nano-banana', input: { prompt: 'a shell', output_format: 'jpeg', image_size: '16:9' } }, 4],
    ];
    for (const [body, price] of cases) {
      const { apiKey } = await h.user(1000);
      const res = await h.api(apiKey, 'POST', '/api/v1/tasks', body);
      expect(res.status, JSON.stringify(body)).toBe(202);
      expect(res.body.creditsHeld, JSON.stringify(body)).toBe(price);
      expect((await h.api(apiKey, 'GET', '/api/v1/credits')).body).toEqual({ balance: 1000, frozen: price, available: 1000 - price });
      expect((await h.api(apiKey, 'GET', `/api/v1/tasks/${res.body.taskId}`)).body.creditsHeld).toBe(price);
    }
    // The seed route takes the same fields at the top level.
    const { apiKey } = await h.user(1000);
    expect((await h.api(apiKey, 'POST', '/api/v1/generate-video', { prompt: 'long', n_frames: '15' })).body.creditsHeld).toBe(45);
  });

  it("an input that fails the model's schema is a 400 naming the field, before any credits are held", async () => {
    const { apiKey } = await h.user(1000);
    const cases: [unknown, RegExp][] = [
      [video('sora-2-text-to-video', { n_frames: '12' }), /^input\.n_frames: must be one of "10", "15"$/],
      [video('sora-2-text-to-video', { n_frames: 15 }), /^input\.n_frames: /],
      [video('sora-2-text-to-video', { aspect_ratio: 'square' }), /^input\.aspect_ratio: /],
      [video('sora-2-text-to-video', { duration: 15 }), /^input\.duration: is not an input of this model$/],
      [video('sora-2-pro-text-to-video', { size: 'ultra' }), /^input\.size: /],
      [video('sora-2-image-to-video', {}), /^input\.image_urls: is required by this model$/],
      [video('sora-2-image-to-video', { image_urls: ['file:///etc/passwd'] }), /^input\.image_urls\.0: /],
      [video('sora-2-image-to-video', { image_urls: [] }), /^input\.image_urls: /],
      [video('sora-2-text-to-video', { remove_watermark: 'yes' }), /^input\.remove_watermark: /],
      [{ type: 'image', model: 'google/nano-banana', input: { prompt: 'p'.repeat(5001) } }, /^input\.prompt: /],
      [{ type: 'image', model: 'google/nano-banana', input: { prompt: 'x', output_format: 'gif' } }, /^input\.output_format: /],
    ];
    const before = await tableCounts(h.system.db);
    for (const [body, message] of cases) {
      const res = await h.api(apiKey, 'POST', '/api/v1/tasks', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message, JSON.stringify(body)).toMatch(message);
    }
    expect((await h.api(apiKey, 'POST', '/api/v1/generate-video', { prompt: 'x', n_frames: '20' })).status).toBe(400);
    expect(await tableCounts(h.system.db)).toEqual(before);
  });

  it('GET /api/v1/models shows each price rule and input schema, and only the models of configured providers', async () => {
    const { apiKey } = await h.user(0);
    const { models } = (await h.api(apiKey, 'GET', '/api/v1/models')).body;
    const sora = models.find((m: { id: string }) => m.id === 'sora-2-text-to-video');
    expect(sora.price).toEqual([{ when: { n_frames: '15' }, credits: 45 }, { credits: 30 }]);
    expect(sora.input.properties.n_frames).toMatchObject({ enum: ['10', '15'] });
    expect(models.find((m: { id: string }) => m.id === 'google/nano-banana').price).toBe(4);
    // No REPLICATE_API_TOKEN in this harness: Replicate's models are neither listed nor accepted.
    expect(models.map((m: { id: string }) => m.id)).not.toContain('minimax/video-01');
    const refused = await h.api(apiKey, 'POST', '/api/v1/tasks', { type: 'video', model: 'minimax/video-01', input: { prompt: 'x' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe('Unknown model "minimax/video-01"');
  });
});

describe('the catalog', () => {
  const file = (content: unknown) => {
    const path = join(mkdtempSync(join(tmpdir(), 'settle-models-')), 'models.json');
    writeFileSync(path, JSON.stringify(content));
    return path;
  };

  it('offers the models of configured providers only', () => {
    const ids = (providers: string[]) => loadCatalog({ providers }).list().map((m) => m.id);
    expect(ids(['kie'])).toEqual(['sora-2-text-to-video', 'sora-2-image-to-video', 'sora-2-pro-text-to-video', 'google/nano-banana']);
    expect(ids(['kie', 'replicate'])).toContain('minimax/video-01');
    expect(ids([])).toEqual([]);
    expect(loadCatalog({ providers: ['replicate'] }).defaultFor('video')?.id).toBe('minimax/video-01');
  });

  it('refuses at start a MODELS_FILE whose rules or schema are wrong, naming the model and field', () => {
    const model = { id: 'm', type: 'video', timeoutMs: 1000 };
    const load = (m: unknown) => () => loadCatalog({ modelsFile: file([m]), providers: ['kie'] });
    expect(load({ ...model, price: [{ when: { a: '1' }, credits: 5 }] })).toThrow(/0\.price: .*last price rule must have no "when"/);
    expect(load({ ...model, price: [{ credits: 5 }, { credits: 6 }] })).toThrow(/only the last price rule may have no "when"/);
    expect(load({ ...model, price: [{ credits: 0 }] })).toThrow(/MODELS_FILE/);
    expect(load({ ...model, price: 2 ** 53 })).toThrow(/MODELS_FILE/);
    expect(load({ ...model, price: 5, input: { type: 'object', properties: { a: { type: 'nonsense' } } } })).toThrow(/input schema of model "m"/);
    expect(loadCatalog({ modelsFile: file([{ ...model, price: [{ when: { q: 'hd' }, credits: 9 }, { credits: 3 }] }]), providers: ['kie'] }).find('m')?.price).toEqual([
      { when: { q: 'hd' }, credits: 9 },
      { credits: 3 },
    ]);
  });
});
