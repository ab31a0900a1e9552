import type { CommonFaults, CommonOptions, CommonStats, RunningSim } from '../kit/types.js';

/** The knobs that can change while the Replicate simulator runs (setFaults, POST /sim/faults). */
export interface ReplicateSimulatorFaults extends CommonFaults {
  /** Share of predictions that end `aborted` (Replicate: the deadline passed before the prediction started). */
  abortRate?: number;
  /** When set, API calls need `Authorization: Bearer <apiToken>`, else HTTP 401. */
  apiToken?: string;
  /** When set (`whsec_<base64>`), webhooks carry Standard Webhooks headers signed with it, as Replicate signs them. */
  webhookSecret?: string;
}

export interface ReplicateSimulatorOptions extends ReplicateSimulatorFaults, CommonOptions {}

export type ReplicateSimStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';

export interface ReplicateSimStats extends CommonStats {
  predictions: Record<ReplicateSimStatus, number>;
}

export type ReplicateSimOutcome = 'succeeded' | 'failed' | 'aborted';

export type RunningReplicateSimulator = RunningSim<ReplicateSimulatorFaults, ReplicateSimStats, ReplicateSimOutcome>;
