import type { CommonFaults, CommonOptions, CommonStats, RunningSim } from '../kit/types.js';
import type { KieState } from './task.js';

/** The knobs that can change while the KIE simulator runs (setFaults, POST /sim/faults). */
export interface SimulatorFaults extends CommonFaults {
  /** When set, API calls need `Authorization: Bearer <apiKey>`, else code 401. */
  apiKey?: string;
  /** When set, callbacks carry X-Webhook-Timestamp and X-Webhook-Signature as KIE signs them. */
  callbackHmacKey?: string;
  /** createTask answers this account error: 402 credits exhausted, 433 sub-key limit, 505 feature disabled. null: none. */
  accountError?: 402 | 433 | 505 | null;
  /** The operator's remaining KIE credits (GET /api/v1/chat/credit); below creditsPerTask, createTask answers 402. */
  accountCredits?: number;
  /** What each accepted task takes from accountCredits (given back if it fails). */
  creditsPerTask?: number;
}

export interface SimulatorOptions extends SimulatorFaults, CommonOptions {}

export interface SimStats extends CommonStats {
  tasks: Record<KieState, number>;
}

export type RunningSimulator = RunningSim<SimulatorFaults, SimStats, 'success' | 'fail'>;
