import { configFromEnvironment, ConfigError, type Config } from '../config/index.js';
import { DatabaseError } from '../db/index.js';
import { createLogger } from '../log/index.js';
import { createSystem, type System } from '../app/system.js';

/** A message for the operator: printed as one line on stderr, exit code 2 unless said otherwise. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}

export function readConfig(overrides: Record<string, string | undefined> = {}, defaults: Record<string, string> = {}): Config {
  return configFromEnvironment({ defaults, overrides });
}

/** Builds the system for one command, quietly (logs go to stderr at warn), and always closes it. */
export async function withSystem<T>(fn: (system: System) => Promise<T>, overrides: Record<string, string | undefined> = {}): Promise<T> {
  const config = readConfig(overrides, { LOG_LEVEL: 'warn' });
  const system = await createSystem(config, { logger: createLogger(config.logLevel, process.stderr) });
  try {
    return await fn(system);
  } finally {
    await system.close();
  }
}

/** Runs a command action, turning expected failures into one clear line and an exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void | number>) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      if (err instanceof CliError || err instanceof ConfigError || err instanceof DatabaseError) {
        process.stderr.write(`settle: ${err.message}\n`);
        process.exitCode = exitCodeOf(err);
        return;
      }
      throw err;
    }
  };
}

/** A bad flag or configuration is 2 (the command was wrong); a database that cannot be used is 1 (the world was). */
function exitCodeOf(err: CliError | ConfigError | DatabaseError): number {
  if (err instanceof CliError) return err.exitCode;
  return err instanceof DatabaseError ? 1 : 2;
}

export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new CliError(`${flag} must be a positive whole number, got "${value}"`);
  return n;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
