import { isVariable, listVariables, type Parsed, type Variable, type VariableTree } from './variable.js';
import { VARIABLES } from './variables.js';

export { VARIABLES } from './variables.js';
export { listVariables, type Section, type Variable } from './variable.js';

type Declared = Parsed<typeof VARIABLES>;

/** The configuration, parsed once from the environment; its shape is VARIABLES's. */
export type Config = Omit<Declared, 'publicUrl' | 'storageDir' | 'assetsLibraryUrl' | 'r2'> & {
  publicUrl: string;
  storageDir: string;
  assetsLibraryUrl: string;
  /** Set when R2_BUCKET_NAME is: S3-compatible storage instead of the local directory. */
  r2?: { bucket: string; accessKeyId: string; secretAccessKey: string; endpoint?: string; publicUrl?: string };
};

export class ConfigError extends Error {}

/** The providers this configuration gives a credential for: only their models are offered, their accounts watched. */
export function configuredProviders(config: Config): string[] {
  return [...(config.kie.apiKey ? ['kie'] : []), ...(config.replicate.apiToken ? ['replicate'] : [])];
}

/** Reads the environment once. A bad value fails with one line naming the variable; values are never echoed. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const declared = parseTree(VARIABLES, env) as Declared;
  if (declared.workerPollMinMs > declared.workerPollMaxMs) {
    throw new ConfigError('Invalid configuration: WORKER_POLL_MIN_MS must not exceed WORKER_POLL_MAX_MS');
  }
  const publicUrl = declared.publicUrl ?? `http://localhost:${declared.port}`;
  return {
    ...declared,
    publicUrl,
    storageDir: declared.storageDir ?? `${declared.dataDir}/assets`,
    assetsLibraryUrl: declared.assetsLibraryUrl ?? publicUrl,
    r2: readR2(declared.r2),
  };
}

function parseTree(tree: VariableTree, env: Record<string, string | undefined>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(tree).map(([key, node]) => [key, isVariable(node) ? parseVariable(node, env) : parseTree(node, env)]));
}

function parseVariable(variable: Variable<unknown>, env: Record<string, string | undefined>): unknown {
  const raw = env[variable.name];
  const text = raw === undefined || raw === '' ? variable.default : raw;
  if (text === undefined) return undefined;
  const parsed = variable.parse.safeParse(text);
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${variable.name}: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

function readR2(r2: Declared['r2']): Config['r2'] {
  if (!r2.bucket) return undefined;
  if (!r2.accessKeyId || !r2.secretAccessKey) {
    throw new ConfigError('Invalid configuration: R2_BUCKET_NAME is set but R2_ACCESS_KEY_ID or R2_SECRET_ACCESS_KEY is missing');
  }
  return { bucket: r2.bucket, accessKeyId: r2.accessKeyId, secretAccessKey: r2.secretAccessKey, endpoint: r2.endpoint, publicUrl: r2.publicUrl };
}

/**
 * The process's configuration: `defaults` apply where the environment says nothing (a command's own defaults),
 * `overrides` win over it (a command's flags). The one place that reads process.env.
 */
export function configFromEnvironment(options: { defaults?: Record<string, string>; overrides?: Record<string, string | undefined> } = {}): Config {
  return loadConfig({ ...options.defaults, ...process.env, ...options.overrides });
}

/** The Config paths of every secret variable, for log redaction. */
export const SECRET_PATHS: readonly string[] = listVariables(VARIABLES)
  .filter(({ variable }) => variable.secret)
  .map(({ path }) => path);
export { CONFIG_TABLE_END, CONFIG_TABLE_START, configurationTable, envExample } from './docs.js';
