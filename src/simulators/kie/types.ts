/** The knobs that can change while the simulator runs (setFaults, POST /sim/faults). */
export interface SimulatorFaults {
  /** Time from submit to terminal, uniform in [min, max] ms. */
  durationMs?: [number, number];
  /** Share of tasks that end in 'fail'. */
  failRate?: number;
  /** Share of tasks that never finish (stay 'generating' until forced). */
  hangRate?: number;
  /** Share of finished tasks whose callback is never sent. */
  lostCallbackRate?: number;
  /** Share of createTask / recordInfo calls answered with an HTTP 200 envelope error 500 or 455. */
  transientErrorRate?: number;
  /** createTask limit (KIE: 20 per 10 s); over it the answer is code 429. null turns it off. */
  rateLimit?: { max: number; windowMs: number } | null;
  /** Delay before a result file's body starts. */
  downloadDelayMs?: number;
  /** Size of each result file; generated while streaming, so any size costs no memory. */
  resultBytes?: number;
  /** When set, API calls need `Authorization: Bearer <apiKey>`, else code 401. */
  apiKey?: string;
  /** When set, callbacks carry X-Webhook-Timestamp and X-Webhook-Signature as KIE signs them. */
  callbackHmacKey?: string;
}

export interface SimulatorOptions extends SimulatorFaults {
  /** 0 = a free port (default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Same seed + same order of accepted submissions => same outcomes, durations and failure codes. */
  seed?: number;
  /** Base URL of the result files in resultUrls (default: the listening URL). */
  publicUrl?: string;
}

export interface SimStats {
  /** Accepted createTask calls. */
  submissions: number;
  rejectedRateLimited: number;
  statusChecks: number;
  /** Injected 500 / 455 answers. */
  transientErrors: number;
  /** Callbacks delivered (a 2xx from the receiver). */
  callbacksSent: number;
  /** Callbacks deliberately never sent (lostCallbackRate). */
  callbacksLost: number;
  /** Callbacks given up on after every retry failed. */
  callbacksFailed: number;
  /** Result files served. */
  downloads: number;
  tasks: Record<'waiting' | 'queuing' | 'generating' | 'success' | 'fail', number>;
}

export interface RunningSimulator {
  url: string;
  port: number;
  /** The seed in use (drawn at random when none was given), so a run can be replayed. */
  seed: number;
  stats(): SimStats;
  setFaults(partial: SimulatorFaults): void;
  /** Forces a task's outcome now and fires its callback (unless it is a lost-callback task). */
  finish(providerTaskId: string, outcome: 'success' | 'fail'): void;
  close(): Promise<void>;
}
