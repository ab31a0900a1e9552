import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSimFlags } from '../../src/cli/commands/sim.js';

const script = fileURLToPath(new URL('./fixtures/sim-cli.ts', import.meta.url));

const defaults = {
  port: '4010',
  host: '127.0.0.1',
  durationMs: '2000-5000',
  failRate: '0',
  hangRate: '0',
  lostCallbackRate: '0',
  transientErrorRate: '0',
  rateLimit: '20/10000' as string | false,
  downloadDelayMs: '0',
  resultBytes: '65536',
};

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
    const options = parseSimFlags({ ...defaults, seed: '9', durationMs: '100-200', failRate: '0.25', rateLimit: '5/1000' });
    expect(options).toMatchObject({ port: 4010, seed: 9, durationMs: [100, 200], failRate: 0.25, rateLimit: { max: 5, windowMs: 1000 } });
    expect(parseSimFlags({ ...defaults, durationMs: '300', rateLimit: false })).toMatchObject({ durationMs: [300, 300], rateLimit: null });
  });

  it.each([
    [{ failRate: '1.5' }, '--fail-rate must be a number from 0 to 1, got "1.5"'],
    [{ hangRate: 'lots' }, '--hang-rate must be a number from 0 to 1'],
    [{ port: '70000' }, '--port must be a whole number from 0 to 65535'],
    [{ durationMs: '500-100' }, '--duration-ms must be "min-max"'],
    [{ rateLimit: '20' }, '--rate-limit must be "max/windowMs"'],
    [{ resultBytes: '0' }, '--result-bytes must be a whole number from 1'],
    [{ publicUrl: 'not a url' }, '--public-url must be a URL'],
  ])('refuses %o', (flags, message) => {
    expect(() => parseSimFlags({ ...defaults, ...flags })).toThrow(message);
  });
});

describe('settle sim process', () => {
  it('exits 2 with one clear line for a bad flag value', async () => {
    const run = runCli(['--fail-rate', '2']);
    expect(await run.exited).toBe(2);
    expect(run.output().stderr.trim().split('\n')).toEqual(['settle sim: --fail-rate must be a number from 0 to 1, got "2"']);
  });

  it('prints its URL, serves the KIE API, and stops cleanly on SIGTERM', async () => {
    const run = runCli(['--port', '0', '--seed', '5', '--api-key', 'sk-cli']);
    const url = await new Promise<string>((resolve, reject) => {
      run.child.stdout.on('data', () => {
        const match = /listening on (http:\/\/\S+) \(seed 5\)/.exec(run.output().stdout);
        if (match) resolve(match[1]!);
      });
      void run.exited.then(() => reject(new Error(`exited early: ${run.output().stderr}`)));
    });
    expect(run.output().stdout).not.toContain('sk-cli');
    const credit = await fetch(`${url}/api/v1/chat/credit`, { headers: { authorization: 'Bearer sk-cli' } });
    expect(await credit.json()).toMatchObject({ code: 200 });
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });
});
