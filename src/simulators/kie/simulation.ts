import { randomBytes } from 'node:crypto';
import { deliverCallback } from './callbacks.js';
import { DEFAULT_FAULTS, mergeFaults, type Faults } from './faults.js';
import { modelType } from './models.js';
import { seededRandom, type Random } from './random.js';
import { createRateLimiter } from './rate-limit.js';
import { recordOf } from './record.js';
import { isTerminal, planTask, viewTask, type SimTask } from './task.js';
import type { SimStats, SimulatorFaults } from './types.js';

export interface NewTask {
  model: string;
  callBackUrl?: string;
  input: Record<string, unknown>;
}

export interface ApiError {
  code: number;
  msg: string;
  retryAfterMs?: number;
}

type Counters = Omit<SimStats, 'tasks'>;

/** The simulator's state and rules, free of HTTP: the routes translate requests into these calls. */
export class Simulation {
  faults: Faults;
  readonly tasks = new Map<string, SimTask>();
  private readonly counters: Counters = {
    submissions: 0,
    rejectedRateLimited: 0,
    statusChecks: 0,
    transientErrors: 0,
    callbacksSent: 0,
    callbacksLost: 0,
    callbacksFailed: 0,
    downloads: 0,
  };
  // Separate streams: how many status checks happen depends on timing, and must not shift the task outcomes.
  private readonly outcomeRandom: Random;
  private readonly errorRandom: Random;
  private readonly limiter = createRateLimiter();
  private readonly closing = new AbortController();
  private readonly deliveries = new Set<Promise<void>>();

  constructor(
    seed: number,
    faults: SimulatorFaults,
    private readonly publicUrl: () => string,
  ) {
    this.faults = mergeFaults(DEFAULT_FAULTS, faults);
    this.outcomeRandom = seededRandom(seed);
    this.errorRandom = seededRandom(seed ^ 0x5bd1e995);
  }

  setFaults(update: unknown): void {
    this.faults = mergeFaults(this.faults, update);
  }

  /** A 500 or 455 for `transientErrorRate` of the API calls. */
  injectedError(): ApiError | undefined {
    if (this.errorRandom() >= this.faults.transientErrorRate) return undefined;
    this.counters.transientErrors++;
    return this.errorRandom() < 0.5 ? { code: 500, msg: 'Server Error' } : { code: 455, msg: 'Service Unavailable' };
  }

  countStatusCheck(): void {
    this.counters.statusChecks++;
  }

  countDownload(): void {
    this.counters.downloads++;
  }

  rateLimited(): ApiError | undefined {
    const retryAfterMs = this.limiter.take(this.faults.rateLimit, Date.now());
    if (retryAfterMs === undefined) return undefined;
    this.counters.rejectedRateLimited++;
    return { code: 429, msg: 'Too many requests, please slow down', retryAfterMs };
  }

  createTask(request: NewTask): SimTask | ApiError {
    const type = modelType(request.model);
    if (!type) return { code: 422, msg: `model not supported: ${request.model}` };
    const task: SimTask = {
      id: randomBytes(16).toString('hex'),
      model: request.model,
      type,
      callBackUrl: request.callBackUrl,
      param: JSON.stringify(request),
      createdAt: Date.now(),
      settled: false,
      ...planTask(this.outcomeRandom, this.faults),
    };
    this.tasks.set(task.id, task);
    this.counters.submissions++;
    if (task.planned !== 'hang') task.timer = setTimeout(() => this.settle(task), task.durationMs).unref();
    return task;
  }

  record(task: SimTask) {
    return recordOf(task, Date.now(), this.publicUrl());
  }

  finish(providerTaskId: string, outcome: 'success' | 'fail'): void {
    const task = this.tasks.get(providerTaskId);
    if (!task) throw new Error(`Unknown simulator task ${providerTaskId}`);
    if (isTerminal(viewTask(task, Date.now()).state)) return;
    clearTimeout(task.timer);
    task.forced = { outcome, at: Date.now() };
    this.settle(task);
  }

  stats(): SimStats {
    const tasks: SimStats['tasks'] = { waiting: 0, queuing: 0, generating: 0, success: 0, fail: 0 };
    const now = Date.now();
    for (const task of this.tasks.values()) tasks[viewTask(task, now).state]++;
    return { ...this.counters, tasks };
  }

  async close(): Promise<void> {
    this.closing.abort();
    for (const task of this.tasks.values()) clearTimeout(task.timer);
    await Promise.all(this.deliveries);
  }

  /** Sends the terminal callback once: delivered, lost on purpose, or given up on after retries. */
  private settle(task: SimTask): void {
    if (task.settled || !task.callBackUrl) return;
    task.settled = true;
    if (task.lostCallback) return void this.counters.callbacksLost++;
    // A timer may fire a hair before Date.now() reaches the planned end; the callback must show the terminal state.
    const at = Math.max(Date.now(), task.createdAt + task.durationMs);
    const body = { code: 200, msg: 'success', data: recordOf(task, at, this.publicUrl()) };
    const delivery = deliverCallback({
      url: task.callBackUrl,
      providerTaskId: task.id,
      body,
      hmacKey: this.faults.callbackHmacKey,
      signal: this.closing.signal,
    }).then(
      (sent) => void (sent ? this.counters.callbacksSent++ : this.counters.callbacksFailed++),
      () => void this.counters.callbacksFailed++,
    );
    this.deliveries.add(delivery);
    void delivery.finally(() => this.deliveries.delete(delivery));
  }
}
