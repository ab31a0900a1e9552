import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { parseSimFlags, registerSimCommand } from '../../src/cli/commands/sim.js';

const script = fileURLToPath(new URL('./fixtures/sim-cli.ts', import.meta.url));

/** The flags as commander hands them to the command, defaults included. */
function flags(...args: string[]): Parameters<typeof parseSimFlags>[0] {
  const program = new Command('settle').exitOverride();
  registerSimCommand(program);
  const sim = program.commands.find((command) => command.name() === 'sim')!;
  sim.parseOptions(args);
  return sim.opts() as Parameters<typeof parseSimFlags>[0];
}

function runCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, 'sim', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('settle sim flags', () => {
  it('turns flag strings into simulator options', () => {
    const options = parseSimFlags(flags('--seed', '9', '--duration-ms', '100-200', '--fail-rate', '0.25', '--rate-limit', '5/1000'));
    expect(options).toMatchObject({ port: 4010, seed: 9, durationMs: [100, 200], failRate: 0.25, rateLimit: { max: 5, windowMs: 1000 } });
    expect(parseSimFlags(flags('--duration-ms', '300', '--no-rate-limit'))).toMatchObject({ durationMs: [300, 300], rateLimit: null });
  });

  it('defaults to a provider without faults', () => {
    expect(parseSimFlags(flags())).toMatchObject({
      createDelayMs: 0,
      createHangRate: 0,
      transientAfterAccept: false,
      downloadBytesPerSecond: null,
      accountError: null,
      accountCredits: 100_000,
      creditsPerTask: 0,
      resultHost: null,
      resultUrl: null,
    });
  });

  it.each([
    [['--create-delay-ms', '20000'], { createDelayMs: 20_000 }],
    [['--create-hang-rate', '0.1'], { createHangRate: 0.1 }],
    [['--transient-after-accept'], { transientAfterAccept: true }],
    [['--download-bytes-per-second', '1048576'], { downloadBytesPerSecond: 1_048_576 }],
    [['--account-error', '433'], { accountError: 433 }],
    [['--account-credits', '50', '--credits-per-task', '5'], { accountCredits: 50, creditsPerTask: 5 }],
    [['--result-host', '127.0.0.2'], { resultHost: '127.0.0.2' }],
    [['--result-url', 'http://10.0.0.1/admin'], { resultUrl: 'http://10.0.0.1/admin' }],
  ])('takes %o', (args, expected) => {
    expect(parseSimFlags(flags(...args))).toMatchObject(expected);
  });

  it.each([
    [['--fail-rate', '1.5'], '--fail-rate must be a number from 0 to 1, got "1.5"'],
    [['--hang-rate', 'lots'], '--hang-rate must be a number from 0 to 1'],
    [['--port', '70000'], '--port must be a whole number from 0 to 65535'],
    [['--duration-ms', '500-100'], '--duration-ms must be "min-max"'],
    [['--rate-limit', '20'], '--rate-limit must be "max/windowMs"'],
    [['--result-bytes', '0'], '--result-bytes must be a whole number from 1'],
    [['--public-url', 'not a url'], '--public-url must be a URL'],
    [['--create-hang-rate', '2'], '--create-hang-rate must be a number from 0 to 1'],
    [['--create-delay-ms', '-5'], '--create-delay-ms must be a whole number from 0'],
    [['--download-bytes-per-second', '0'], '--download-bytes-per-second must be a whole number from 1'],
    [['--account-error', '404'], '--account-error must be 402, 433 or 505, got "404"'],
    [['--account-credits', 'lots'], '--account-credits must be a whole number from 0'],
    [['--result-url', 'internal'], '--result-url must be a URL'],
    [['--result-host', 'http://evil'], '--result-host must be a host name or an IP address, got "http://evil"'],
  ])('refuses %o', (args, message) => {
    expect(() => parseSimFlags(flags(...args))).toThrow(message);
  });
});

describe('settle sim process', () => {
  it('exits 2 with one clear line for a bad flag value', async () => {
    const run = runCli(['--fail-rate', '2']);
    expect(await run.exited).toBe(2);
    expect(run.output().stderr.trim().split('\n')).toEqual(['settle sim: --fail-rate must be a number from 0 to 1, got "2"']);
  });

  it('prints its URL, serves the KIE API, and stops cleanly on SIGTERM', async () => {
    const run = runCli(['--port', '0', '--seed', '5', '--api-key', 'sk-cli', '--account-credits', '321']);
    const url = await new Promise<string>((resolve, reject) => {
      run.child.stdout.on('data', () => {
        const match = /listening on (http:\/\/\S+) \(seed 5\)/.exec(run.output().stdout);
        if (match) resolve(match[1]!);
      });
      void run.exited.then(() => reject(new Error(`exited early: ${run.output().stderr}`)));
    });
    expect(run.output().stdout).not.toContain('sk-cli');
    const credit = await fetch(`${url}/api/v1/chat/credit`, { headers: { authorization: 'Bearer sk-cli' } });
    expect(await credit.json()).toMatchObject({ code: 200, data: 321 });
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });
});
