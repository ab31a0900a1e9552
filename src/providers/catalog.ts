import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { z } from 'zod';
import { KIE_MODELS, REPLICATE_MODELS } from './builtInModels.js';
import type { TaskType } from './types.js';

const MAX_CREDITS = Number.MAX_SAFE_INTEGER;
const credits = z.number().int().min(1).max(MAX_CREDITS);

/** A rule matches when every `when` field of the input equals its value (a rule without `when` always matches). */
const priceRule = z.strictObject({
  when: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])).optional(),
  credits,
});
export type PriceRule = z.infer<typeof priceRule>;

/** A flat price, or rules where the first match wins and the last, without `when`, is the price otherwise. */
const price = z.union([
  credits,
  z
    .array(priceRule)
    .min(1)
    .refine((rules) => rules.at(-1)!.when === undefined, 'the last price rule must have no "when" (the price when no other rule matches)')
    .refine((rules) => rules.slice(0, -1).every((r) => r.when !== undefined), 'only the last price rule may have no "when"'),
]);

const modelSchema = z.strictObject({
  id: z.string().min(1).max(200),
  provider: z.enum(['kie', 'replicate']).default('kie'),
  type: z.enum(['video', 'image']),
  price,
  /** A JSON Schema (draft-07) for the task's input; an input that fails it is refused before any credits are held. */
  input: z.record(z.string(), z.unknown()).optional(),
  timeoutMs: z.number().int().positive(),
  maxAttempts: z.number().int().min(1).max(10).default(2),
});

const fileSchema = z.union([
  z.array(modelSchema),
  z.object({ replace: z.boolean().default(false), models: z.array(modelSchema) }),
]);

export type ModelSpec = z.infer<typeof modelSchema>;

/** The models Settle knows out of the box (KIE market and Replicate), checked by the rules a MODELS_FILE must pass. */
export const BUILT_IN_MODELS: readonly ModelSpec[] = z.array(modelSchema).parse([...KIE_MODELS, ...REPLICATE_MODELS]);

export interface Catalog {
  find(modelId: string): ModelSpec | undefined;
  /** The model used when a seed route (generate-video / generate-image) names none; undefined when none is offered. */
  defaultFor(type: TaskType): ModelSpec | undefined;
  list(): ModelSpec[];
  /** Why the input does not fit the model's input schema, naming the field; null when it fits (or there is none). */
  inputProblem(model: ModelSpec, input: Record<string, unknown>): string | null;
}

/** The credits a task with this input costs: a flat price, or the first rule whose `when` the input matches. */
export function priceOf(model: Pick<ModelSpec, 'price'>, input: Record<string, unknown>): number {
  if (typeof model.price === 'number') return model.price;
  const rule = model.price.find((r) => Object.entries(r.when ?? {}).every(([field, value]) => input[field] === value));
  return (rule ?? model.price.at(-1)!).credits;
}

export function createCatalog(models: readonly ModelSpec[]): Catalog {
  const byId = new Map(models.map((m) => [m.id, m]));
  const validators = compileInputSchemas(models);
  return {
    find: (id) => byId.get(id),
    defaultFor: (type) => models.find((m) => m.type === type),
    list: () => [...byId.values()],
    inputProblem(model, input) {
      const validate = validators.get(model.id);
      if (!validate || validate(input)) return null;
      return describeProblem(validate.errors![0]!);
    },
  };
}

export interface CatalogOptions {
  /** MODELS_FILE: a JSON catalog that replaces or extends (same id wins) the built-in one. */
  modelsFile?: string;
  /** The providers that are configured: only their models are offered. */
  providers: readonly string[];
}

/** The built-in catalog, replaced or extended by MODELS_FILE, offering only the models of configured providers. */
export function loadCatalog(options: CatalogOptions): Catalog {
  const models = options.modelsFile ? withModelsFile(options.modelsFile) : [...BUILT_IN_MODELS];
  return createCatalog(models.filter((m) => options.providers.includes(m.provider)));
}

function withModelsFile(modelsFile: string): ModelSpec[] {
  const parsed = fileSchema.safeParse(JSON.parse(readFileSync(modelsFile, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`MODELS_FILE ${modelsFile}: ${issue.path.join('.')}: ${issue.message}`);
  }
  const file = Array.isArray(parsed.data) ? { replace: false, models: parsed.data } : parsed.data;
  const extended = new Map((file.replace ? [] : BUILT_IN_MODELS).map((m) => [m.id, m]));
  for (const model of file.models) extended.set(model.id, model);
  return [...extended.values()];
}

/** Each model's input schema compiled once; a schema that is not valid JSON Schema fails at start, naming the model. */
function compileInputSchemas(models: readonly ModelSpec[]): Map<string, ValidateFunction> {
  const ajv = new Ajv({ allErrors: false, strict: true });
  const validators = new Map<string, ValidateFunction>();
  for (const model of models) {
    if (!model.input) continue;
    try {
      validators.set(model.id, ajv.compile(model.input));
    } catch (err) {
      throw new Error(`The input schema of model "${model.id}" is not a valid JSON Schema: ${(err as Error).message}`);
    }
  }
  return validators;
}

/** `input.n_frames: must be one of "10", "15"`: the field first, as request validation names it. */
function describeProblem(error: ErrorObject): string {
  const path = error.instancePath.split('/').filter(Boolean);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') return `input.${[...path, String(params.missingProperty)].join('.')}: is required by this model`;
  if (error.keyword === 'additionalProperties') return `input.${[...path, String(params.additionalProperty)].join('.')}: is not an input of this model`;
  const field = ['input', ...path].join('.');
  if (error.keyword === 'enum') return `${field}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return `${field}: ${error.message ?? 'is not valid'}`;
}
