import { createHash } from 'node:crypto';
import { afterEach } from 'vitest';
import {
  startReplicateSimulator,
  startSimulator,
  type ReplicateSimulatorOptions,
  type RunningReplicateSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from '../../src/simulators/index.js';

const running: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

/** A KIE simulator closed after the test; fast tasks and no rate limit unless the test says otherwise. */
export async function kieSim(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const sim = await startSimulator({ seed: 11, durationMs: [30, 60], rateLimit: null, ...options });
  running.push(sim);
  return sim;
}

export async function replicateSim(options: ReplicateSimulatorOptions = {}): Promise<RunningReplicateSimulator> {
  const sim = await startReplicateSimulator({ seed: 11, durationMs: [30, 60], rateLimit: null, ...options });
  running.push(sim);
  return sim;
}

/** Closed after the test. */
export function closeAfter<T extends { close(): Promise<void> }>(server: T): T {
  running.push(server);
  return server;
}

export async function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...init });
  return { status: response.status, body: await response.json() };
}

export async function getJson(url: string): Promise<any> {
  return (await fetch(url)).json();
}

/** A createTask body as Settle sends it: our task id in the callBackUrl's `task` query. */
export const createTaskBody = (settleTaskId: string, callbackBase = 'http://127.0.0.1:9/api/webhooks/kie') => ({
  model: 'sora-2-text-to-video',
  callBackUrl: `${callbackBase}?task=${settleTaskId}`,
  input: { prompt: 'a lighthouse in a storm' },
});

/** POST /api/v1/jobs/createTask; the envelope it answers. */
export async function createTask(sim: { url: string }, settleTaskId: string, init: RequestInit = {}) {
  return (await postJson(`${sim.url}/api/v1/jobs/createTask`, createTaskBody(settleTaskId), init)).body as {
    code: number;
    msg: string;
    data: { taskId: string } | null;
  };
}

export async function recordInfo(sim: { url: string }, providerTaskId: string) {
  return (await getJson(`${sim.url}/api/v1/jobs/recordInfo?taskId=${providerTaskId}`)) as { code: number; data: Record<string, any> };
}

/** Sets knobs the way another process would. */
export async function setFaults(sim: { url: string }, faults: Record<string, unknown>) {
  return postJson(`${sim.url}/sim/faults`, faults);
}

/** Reads a body to its end: its size and SHA-256. */
export async function digest(body: AsyncIterable<Uint8Array>): Promise<{ bytes: number; hash: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, hash: hash.digest('hex') };
}
