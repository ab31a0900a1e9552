import { randomBytes } from 'node:crypto';
import { signReplicateWebhook } from '../../providers/replicate/webhook.js';
import { deliverCallback } from '../kie/callbacks.js';
import { modelType } from '../kie/models.js';
import { seededRandom, type Random } from '../kie/random.js';
import { createRateLimiter } from '../kie/rate-limit.js';
import type { TaskType } from '../../providers/types.js';
import { DEFAULT_REPLICATE_FAULTS, mergeReplicateFaults, type ReplicateFaults } from './faults.js';
import { isTerminalStatus, planPrediction, predictionObject, viewPrediction, type SimPrediction } from './prediction.js';
import type { ReplicateSimOutcome, ReplicateSimStats, ReplicateSimulatorFaults } from './types.js';

export interface NewPrediction {
  /** `owner/name` for POST /v1/models/{owner}/{name}/predictions. */
  model?: string;
  /** For POST /v1/predictions. */
  version?: string;
  input: Record<string, unknown>;
  webhook?: string;
  webhookEventsFilter?: string[];
}

/** An HTTP error as Replicate answers it: a status and a problem-details body. */
export interface ApiError {
  status: number;
  title: string;
  detail: string;
  retryAfterMs?: number;
}

type Counters = Omit<ReplicateSimStats, 'predictions'>;

/** The Replicate simulator's state and rules, free of HTTP: the routes translate requests into these calls. */
export class ReplicateSimulation {
  faults: ReplicateFaults;
  readonly predictions = new Map<string, SimPrediction>();
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
  // Separate streams: how many status checks happen depends on timing, and must not shift the outcomes.
  private readonly outcomeRandom: Random;
  private readonly errorRandom: Random;
  private readonly limiter = createRateLimiter();
  private readonly closing = new AbortController();
  private readonly deliveries = new Set<Promise<void>>();

  constructor(
    seed: number,
    faults: ReplicateSimulatorFaults,
    private readonly publicUrl: () => string,
  ) {
    this.faults = mergeReplicateFaults(DEFAULT_REPLICATE_FAULTS, faults);
    this.outcomeRandom = seededRandom(seed);
    this.errorRandom = seededRandom(seed ^ 0x2f6b3c1d);
  }

  setFaults(update: unknown): void {
    this.faults = mergeReplicateFaults(this.faults, update);
  }

  /** Whether a request carries the configured token (`Bearer`, or the older `Token` scheme). */
  authorized(header: string | undefined): boolean {
    const token = this.faults.apiToken;
    return !token || header === `Bearer ${token}` || header === `Token ${token}`;
  }

  /** A 500 or 503 for `transientErrorRate` of the API calls. */
  injectedError(): ApiError | undefined {
    if (this.errorRandom() >= this.faults.transientErrorRate) return undefined;
    this.counters.transientErrors++;
    if (this.errorRandom() < 0.5) return { status: 500, title: 'Internal Server Error', detail: 'Internal server error' };
    return { status: 503, title: 'Service Unavailable', detail: 'Service temporarily unavailable', retryAfterMs: 1000 };
  }

  rateLimited(): ApiError | undefined {
    const retryAfterMs = this.limiter.take(this.faults.rateLimit, Date.now());
    if (retryAfterMs === undefined) return undefined;
    this.counters.rejectedRateLimited++;
    const seconds = Math.ceil(retryAfterMs / 1000);
    const detail = `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? '' : 's'}.`;
    return { status: 429, title: 'Request was throttled.', detail, retryAfterMs };
  }

  countStatusCheck(): void {
    this.counters.statusChecks++;
  }

  countDownload(): void {
    this.counters.downloads++;
  }

  create(request: NewPrediction): SimPrediction | ApiError {
    const type: TaskType | undefined = request.model ? modelType(request.model) : 'image';
    if (!type) return { status: 404, title: 'Not found', detail: 'The requested resource could not be found.' };
    const prediction: SimPrediction = {
      id: predictionId(),
      model: request.model ?? null,
      version: request.version ?? 'official',
      type,
      input: request.input,
      webhook: request.webhook,
      wantsCompleted: !request.webhookEventsFilter || request.webhookEventsFilter.includes('completed'),
      createdAt: Date.now(),
      settled: false,
      ...planPrediction(this.outcomeRandom, this.faults),
    };
    this.predictions.set(prediction.id, prediction);
    this.counters.submissions++;
    if (prediction.planned !== 'hang') {
      prediction.timer = setTimeout(() => this.settle(prediction), prediction.durationMs).unref();
    }
    return prediction;
  }

  object(prediction: SimPrediction, now = Date.now()) {
    return predictionObject(prediction, now, this.publicUrl());
  }

  finish(predictionId: string, outcome: ReplicateSimOutcome | 'canceled'): void {
    const prediction = this.predictions.get(predictionId);
    if (!prediction) throw new Error(`Unknown simulator prediction ${predictionId}`);
    if (isTerminalStatus(viewPrediction(prediction, Date.now()).status)) return;
    clearTimeout(prediction.timer);
    prediction.forced = { status: outcome, at: Date.now() };
    this.settle(prediction);
  }

  stats(): ReplicateSimStats {
    const predictions: ReplicateSimStats['predictions'] = {
      starting: 0,
      processing: 0,
      succeeded: 0,
      failed: 0,
      canceled: 0,
      aborted: 0,
    };
    const now = Date.now();
    for (const prediction of this.predictions.values()) predictions[viewPrediction(prediction, now).status]++;
    return { ...this.counters, predictions };
  }

  async close(): Promise<void> {
    this.closing.abort();
    for (const prediction of this.predictions.values()) clearTimeout(prediction.timer);
    await Promise.all(this.deliveries);
  }

  /** Sends the `completed` webhook once: delivered, lost on purpose, or given up on after retries. */
  private settle(prediction: SimPrediction): void {
    if (prediction.settled || !prediction.webhook || !prediction.wantsCompleted) return;
    prediction.settled = true;
    if (prediction.lostCallback) return void this.counters.callbacksLost++;
    // A timer may fire a hair before Date.now() reaches the planned end; the webhook must show the terminal status.
    const at = Math.max(Date.now(), prediction.createdAt + prediction.durationMs);
    const body = this.object(prediction, prediction.forced ? Date.now() : at);
    const secret = this.faults.webhookSecret;
    // One message id for every retry of this webhook, a fresh timestamp per attempt (Standard Webhooks).
    const messageId = `msg_${randomBytes(12).toString('hex')}`;
    const delivery = deliverCallback({
      url: prediction.webhook,
      providerTaskId: prediction.id,
      body,
      headers: secret ? (rawBody) => signedHeaders(messageId, rawBody, secret) : undefined,
      signal: this.closing.signal,
    }).then(
      (sent) => void (sent ? this.counters.callbacksSent++ : this.counters.callbacksFailed++),
      () => void this.counters.callbacksFailed++,
    );
    this.deliveries.add(delivery);
    void delivery.finally(() => this.deliveries.delete(delivery));
  }
}

function signedHeaders(id: string, body: string, secret: string): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signReplicateWebhook({ id, timestamp, body, secret }),
  };
}

/** Replicate prediction ids look like `ufawqhfynnddngldkgtslldrkq`: lowercase base32, 26 characters and more. */
function predictionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(26)].map((byte) => alphabet[byte % 32]).join('');
}
