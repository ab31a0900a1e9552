import { isIP } from 'node:net';
import type { Command } from 'commander';
import { startSimulator, type SimulatorOptions } from '../../simulators/index.js';

interface SimFlags {
  port: string;
  host: string;
  seed?: string;
  durationMs: string;
  failRate: string;
  hangRate: string;
  lostCallbackRate: string;
  transientErrorRate: string;
  rateLimit: string | false;
  downloadDelayMs: string;
  downloadBytesPerSecond?: string;
  resultBytes?: string;
  createDelayMs: string;
  createHangRate: string;
  transientAfterAccept?: boolean;
  accountError?: string;
  accountCredits: string;
  creditsPerTask: string;
  resultHost?: string;
  resultUrl?: string;
  apiKey?: string;
  callbackHmacKey?: string;
  publicUrl?: string;
}

/** A flag value that cannot be used; the message names the flag and is shown as is. */
export class SimFlagError extends Error {}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description(
      'Run the KIE-compatible provider simulator (createTask, recordInfo, chat/credit, callbacks, result files); ' +
        'GET /sim/stats, GET /sim/log, POST /sim/faults and POST /sim/tasks/:id/finish control it',
    )
    .option('--port <port>', 'port to listen on, 0 for any free port', '4010')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--seed <n>', 'seed for deterministic outcomes (random when omitted, and printed)')
    .option('--duration-ms <min-max>', 'time from submit to a terminal state, e.g. 2000-5000 or 3000', '2000-5000')
    .option('--fail-rate <share>', 'share of tasks that fail, 0..1', '0')
    .option('--hang-rate <share>', 'share of tasks that never finish, 0..1', '0')
    .option('--lost-callback-rate <share>', 'share of callbacks never sent, 0..1', '0')
    .option('--transient-error-rate <share>', 'share of API calls answered with code 500 or 455, 0..1', '0')
    .option('--rate-limit <max/windowMs>', 'createTask rate limit', '20/10000')
    .option('--no-rate-limit', 'turn the createTask rate limit off')
    .option('--download-delay-ms <ms>', 'delay before a result file body starts', '0')
    .option('--download-bytes-per-second <n>', 'throttle result files to this many bytes a second (a slow link)')
    .option('--result-bytes <bytes>', 'serve generated result files of this size instead of the small real clip / PNG')
    .option('--create-delay-ms <ms>', 'answer createTask this late (the task exists at once)', '0')
    .option('--create-hang-rate <share>', 'share of createTasks created but never answered, 0..1', '0')
    .option('--transient-after-accept', 'answer 500 or 455 to every later createTask for a Settle task that already has a provider task')
    .option('--account-error <code>', 'answer every createTask with 402 (credits exhausted), 433 (sub-key limit) or 505 (feature disabled)')
    .option('--account-credits <n>', 'the account credits GET /api/v1/chat/credit shows; createTask answers 402 when they run out', '100000')
    .option('--credits-per-task <n>', 'credits each accepted task takes (given back when it fails)', '0')
    .option('--result-host <host>', 'name this host (same port) in result URLs, e.g. localhost or 127.0.0.2; still served')
    .option('--result-url <url>', 'give this URL verbatim as every result URL (e.g. an internal service)')
    .option('--api-key <key>', 'require Authorization: Bearer <key>')
    .option('--callback-hmac-key <key>', 'sign callbacks like KIE (X-Webhook-Timestamp, X-Webhook-Signature)')
    .option('--public-url <url>', 'base URL of result files (default: the listening URL)')
    .action(runSim);
}

async function runSim(flags: SimFlags): Promise<void> {
  let options: SimulatorOptions;
  try {
    options = parseSimFlags(flags);
  } catch (err) {
    return fail(err, 2);
  }
  const sim = await startSimulator(options).catch((err: unknown) => {
    // Left: option combinations (failRate + hangRate > 1, ...) and listen errors (port in use).
    const code = (err as { code?: unknown }).code;
    fail(err, typeof code === 'string' && code.startsWith('E') ? 1 : 2);
  });
  if (!sim) return;
  console.log(`KIE simulator listening on ${sim.url} (seed ${sim.seed})`);
  // Keep-alive clients and callbacks in flight can hold close() open; the simulator keeps nothing worth waiting for.
  const stop = () => {
    setTimeout(() => process.exit(0), 2000).unref();
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function fail(err: unknown, exitCode: number): void {
  console.error(`settle sim: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = exitCode;
}

export function parseSimFlags(flags: SimFlags): SimulatorOptions {
  return {
    port: integer('--port', flags.port, 0, 65535),
    host: flags.host,
    seed: flags.seed === undefined ? undefined : integer('--seed', flags.seed, 0, 2 ** 31 - 1),
    durationMs: durationRange(flags.durationMs),
    failRate: share('--fail-rate', flags.failRate),
    hangRate: share('--hang-rate', flags.hangRate),
    lostCallbackRate: share('--lost-callback-rate', flags.lostCallbackRate),
    transientErrorRate: share('--transient-error-rate', flags.transientErrorRate),
    rateLimit: flags.rateLimit === false ? null : rateLimit(flags.rateLimit),
    downloadDelayMs: integer('--download-delay-ms', flags.downloadDelayMs, 0),
    downloadBytesPerSecond: optional(flags.downloadBytesPerSecond, (v) => integer('--download-bytes-per-second', v, 1)),
    resultBytes: optional(flags.resultBytes, (v) => integer('--result-bytes', v, 1)),
    createDelayMs: integer('--create-delay-ms', flags.createDelayMs, 0),
    createHangRate: share('--create-hang-rate', flags.createHangRate),
    transientAfterAccept: flags.transientAfterAccept === true,
    accountError: optional(flags.accountError, accountError),
    accountCredits: integer('--account-credits', flags.accountCredits, 0),
    creditsPerTask: integer('--credits-per-task', flags.creditsPerTask, 0),
    resultHost: optional(flags.resultHost, resultHost),
    resultUrl: optional(flags.resultUrl, (v) => url('--result-url', v)),
    apiKey: flags.apiKey || undefined,
    callbackHmacKey: flags.callbackHmacKey || undefined,
    publicUrl: flags.publicUrl === undefined ? undefined : url('--public-url', flags.publicUrl),
  };
}

function integer(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
    throw new SimFlagError(`${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return number;
}

function share(flag: string, value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 1) {
    throw new SimFlagError(`${flag} must be a number from 0 to 1, got "${value}"`);
  }
  return number;
}

function durationRange(value: string): [number, number] {
  const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(value);
  const [min, max] = [Number(match?.[1]), Number(match?.[2] ?? match?.[1])];
  if (!match || min > max) {
    throw new SimFlagError(`--duration-ms must be "min-max" or "ms" in milliseconds, got "${value}"`);
  }
  return [min, max];
}

function rateLimit(value: string): { max: number; windowMs: number } {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const [max, windowMs] = [Number(match?.[1]), Number(match?.[2])];
  if (!match || max < 1 || windowMs < 1) {
    throw new SimFlagError(`--rate-limit must be "max/windowMs", e.g. 20/10000, got "${value}"`);
  }
  return { max, windowMs };
}

function optional<T>(value: string | undefined, parse: (value: string) => T): T | null {
  return value === undefined ? null : parse(value);
}

const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

function resultHost(value: string): string {
  if (isIP(value) === 0 && !HOST_NAME.test(value)) throw new SimFlagError(`--result-host must be a host name or an IP address, got "${value}"`);
  return value;
}

function accountError(value: string): 402 | 433 | 505 {
  if (value === '402' || value === '433' || value === '505') return Number(value) as 402 | 433 | 505;
  throw new SimFlagError(`--account-error must be 402, 433 or 505, got "${value}"`);
}

function url(flag: string, value: string): string {
  if (!URL.canParse(value)) throw new SimFlagError(`${flag} must be a URL, got "${value}"`);
  return value;
}
