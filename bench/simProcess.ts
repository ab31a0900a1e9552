import { spawn, type ChildProcess } from 'node:child_process';

/** The KIE simulator as `settle sim` in its own process (build first), so its work is not counted as ours. */
export async function startSimProcess(port: number, flags: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['dist/cli/main.js', 'sim', '--port', String(port), ...flags], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (!(await fetch(`${url}/sim/stats`).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline) throw new Error('the simulator did not start (did you run npm run build?)');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child };
}
