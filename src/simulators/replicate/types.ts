/** The knobs that can change while the Replicate simulator runs (setFaults, POST /sim/faults). */
export interface ReplicateSimulatorFaults {
  /** Time from create to terminal, uniform in [min, max] ms. */
  durationMs?: [number, number];
  /** Share of predictions that end `failed`. */
  failRate?: number;
  /** Share of predictions that never finish (stay `processing` until forced). */
  hangRate?: number;
  /** Share of predictions that end `aborted` (Replicate: the deadline passed before the prediction started). */
  abortRate?: number;
  /** Share of finished predictions whose webhook is never sent. */
  lostCallbackRate?: number;
  /** Share of API calls answered with HTTP 500 or 503 (503 with Retry-After). */
  transientErrorRate?: number;
  /** Create-prediction limit (Replicate: 600 a minute); over it the answer is HTTP 429 with Retry-After. null: off. */
  rateLimit?: { max: number; windowMs: number } | null;
  /** Delay before an output file's body starts. */
  downloadDelayMs?: number;
  /** Size of each output file; generated while streaming, so any size costs no memory. */
  resultBytes?: number;
  /** When set, API calls need `Authorization: Bearer <apiToken>`, else HTTP 401. */
  apiToken?: string;
  /** When set (`whsec_<base64>`), webhooks carry Standard Webhooks headers signed with it, as Replicate signs them. */
  webhookSecret?: string;
}

export interface ReplicateSimulatorOptions extends ReplicateSimulatorFaults {
  /** 0 = a free port (default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Same seed + same order of accepted predictions => same outcomes, durations and errors. */
  seed?: number;
  /** Base URL of output files and of `urls.get` (default: the listening URL). */
  publicUrl?: string;
}

export type ReplicateSimStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';

export interface ReplicateSimStats {
  /** Accepted create-prediction calls. */
  submissions: number;
  rejectedRateLimited: number;
  statusChecks: number;
  /** Injected 500 / 503 answers. */
  transientErrors: number;
  /** Webhooks delivered (a 2xx from the receiver). */
  callbacksSent: number;
  /** Webhooks deliberately never sent (lostCallbackRate). */
  callbacksLost: number;
  /** Webhooks given up on after every retry failed. */
  callbacksFailed: number;
  /** Output files served. */
  downloads: number;
  predictions: Record<ReplicateSimStatus, number>;
}

export type ReplicateSimOutcome = 'succeeded' | 'failed' | 'aborted';

export interface RunningReplicateSimulator {
  url: string;
  port: number;
  /** The seed in use (drawn at random when none was given), so a run can be replayed. */
  seed: number;
  stats(): ReplicateSimStats;
  setFaults(partial: ReplicateSimulatorFaults): void;
  /** Forces a prediction's outcome now and fires its webhook (unless it is a lost-webhook prediction). */
  finish(predictionId: string, outcome: ReplicateSimOutcome): void;
  close(): Promise<void>;
}
