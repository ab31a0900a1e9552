/** The knobs both simulators have, changeable while they run (setFaults, POST /sim/faults). */
export interface CommonFaults {
  /** Time from submit to terminal, uniform in [min, max] ms. */
  durationMs?: [number, number];
  /** Share of tasks that fail. */
  failRate?: number;
  /** Share of tasks that never finish (stay running until forced). */
  hangRate?: number;
  /** Share of finished tasks whose callback is never sent. */
  lostCallbackRate?: number;
  /** Share of API calls answered with a transient error (KIE: code 500 or 455; Replicate: HTTP 500 or 503). */
  transientErrorRate?: number;
  /** Submission rate limit; over it the answer is a 429. null turns it off. */
  rateLimit?: { max: number; windowMs: number } | null;
  /** Delay before a result file's body starts. */
  downloadDelayMs?: number;
  /** Size of each result file; generated while streaming, so any size costs no memory. */
  resultBytes?: number;
}

export interface CommonOptions {
  /** 0 = a free port (default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Same seed + same order of accepted submissions => same outcomes, durations and failure codes. */
  seed?: number;
  /** Base URL of result files (default: the listening URL). */
  publicUrl?: string;
}

export interface CommonStats {
  /** Accepted submissions. */
  submissions: number;
  rejectedRateLimited: number;
  statusChecks: number;
  /** Injected transient errors. */
  transientErrors: number;
  /** Callbacks delivered (a 2xx from the receiver). */
  callbacksSent: number;
  /** Callbacks deliberately never sent (lostCallbackRate). */
  callbacksLost: number;
  /** Callbacks given up on after every retry failed. */
  callbacksFailed: number;
  /** Result files served. */
  downloads: number;
}

export interface RunningSim<Faults, Stats, Outcome extends string> {
  url: string;
  port: number;
  /** The seed in use (drawn at random when none was given), so a run can be replayed. */
  seed: number;
  stats(): Stats;
  setFaults(partial: Faults): void;
  /** Forces a task's outcome now and fires its callback (unless it is a lost-callback task). */
  finish(providerTaskId: string, outcome: Outcome): void;
  close(): Promise<void>;
}
