import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { TaskType } from './types.js';

const modelSchema = z.object({
  id: z.string().min(1).max(200),
  provider: z.enum(['kie', 'replicate']).default('kie'),
  type: z.enum(['video', 'image']),
  price: z.number().int().positive(),
  timeoutMs: z.number().int().positive(),
  maxAttempts: z.number().int().min(1).max(10).default(2),
});

const fileSchema = z.union([
  z.array(modelSchema),
  z.object({ replace: z.boolean().default(false), models: z.array(modelSchema) }),
]);

export type ModelSpec = z.infer<typeof modelSchema>;

const MINUTE = 60_000;

/** The models Settle knows out of the box (KIE market and Replicate); prices are in credits. */
export const BUILT_IN_MODELS: readonly ModelSpec[] = [
  { id: 'sora-2-text-to-video', provider: 'kie', type: 'video', price: 30, timeoutMs: 20 * MINUTE, maxAttempts: 2 },
  { id: 'sora-2-image-to-video', provider: 'kie', type: 'video', price: 30, timeoutMs: 20 * MINUTE, maxAttempts: 2 },
  { id: 'sora-2-pro-text-to-video', provider: 'kie', type: 'video', price: 90, timeoutMs: 30 * MINUTE, maxAttempts: 2 },
  { id: 'google/nano-banana', provider: 'kie', type: 'image', price: 4, timeoutMs: 5 * MINUTE, maxAttempts: 3 },
  // Replicate official models (run by name at their latest version); listed after KIE's so the defaults stay KIE's.
  { id: 'minimax/video-01', provider: 'replicate', type: 'video', price: 40, timeoutMs: 20 * MINUTE, maxAttempts: 2 },
  { id: 'black-forest-labs/flux-schnell', provider: 'replicate', type: 'image', price: 2, timeoutMs: 5 * MINUTE, maxAttempts: 3 },
];

export interface Catalog {
  find(modelId: string): ModelSpec | undefined;
  /** The model used when a seed route (generate-video / generate-image) names none. */
  defaultFor(type: TaskType): ModelSpec;
  list(): ModelSpec[];
}

export function createCatalog(models: readonly ModelSpec[]): Catalog {
  const byId = new Map(models.map((m) => [m.id, m]));
  return {
    find: (id) => byId.get(id),
    defaultFor(type) {
      const model = models.find((m) => m.type === type);
      if (!model) throw new Error(`The model catalog has no ${type} model`);
      return model;
    },
    list: () => [...byId.values()],
  };
}

/** The built-in catalog, replaced or extended (same id wins) by the JSON file named by MODELS_FILE. */
export function loadCatalog(modelsFile?: string): Catalog {
  if (!modelsFile) return createCatalog(BUILT_IN_MODELS);
  const parsed = fileSchema.safeParse(JSON.parse(readFileSync(modelsFile, 'utf8')));
  if (!parsed.success) throw new Error(`MODELS_FILE ${modelsFile}: ${parsed.error.issues[0]!.message}`);
  const file = Array.isArray(parsed.data) ? { replace: false, models: parsed.data } : parsed.data;
  const extended = new Map((file.replace ? [] : BUILT_IN_MODELS).map((m) => [m.id, m]));
  for (const model of file.models) extended.set(model.id, model);
  return createCatalog([...extended.values()]);
}
