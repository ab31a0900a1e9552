import type { CommonFaults, CommonOptions, CommonStats, RunningSim } from '../kit/types.js';
import type { KieState } from './task.js';

/** The knobs that can change while the KIE simulator runs (setFaults, POST /sim/faults). */
export interface SimulatorFaults extends CommonFaults {
  /** When set, API calls need `Authorization: Bearer <apiKey>`, else code 401. */
  apiKey?: string;
  /** When set, callbacks carry X-Webhook-Timestamp and X-Webhook-Signature as KIE signs them. */
  callbackHmacKey?: string;
}

export interface SimulatorOptions extends SimulatorFaults, CommonOptions {}

export interface SimStats extends CommonStats {
  tasks: Record<KieState, number>;
}

export type RunningSimulator = RunningSim<SimulatorFaults, SimStats, 'success' | 'fail'>;
