import type { SimLog } from './ledger.js';

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
  /** Throttles result files to this many bytes a second (a slow link); null: as fast as the reader takes them. */
  downloadBytesPerSecond?: number | null;
  /**
   * Serve generated files of this size (streamed, so any size costs no memory) instead of the small real media (a
   * playable 2 s MP4 clip, a PNG); null: the real media.
   */
  resultBytes?: number | null;
  /** The answer to an accepted createTask comes this late; the task exists from the moment the request arrived. */
  createDelayMs?: number;
  /** Share of accepted createTasks never answered: the connection stays open until the client gives up. */
  createHangRate?: number;
  /**
   * Once a Settle task (the `task` query of its callback URL) got a provider task, every later submission for it gets
   * a transient error.
   */
  transientAfterAccept?: boolean;
  /**
   * resultUrls name this host (with the listening port) instead of the listening one, e.g. `localhost` or `127.0.0.2`;
   * the files are still served there.
   */
  resultHost?: string | null;
  /** resultUrls are this URL, verbatim (e.g. an internal service's). */
  resultUrl?: string | null;
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
  /** Resubmissions answered with a transient error (transientAfterAccept). */
  resubmissionsRefused: number;
  /** createTask calls by the code answered (KIE's envelope code, Replicate's HTTP status). */
  createCalls: Record<string, number>;
  /** Settle tasks (the `task` query of the callback URL) that got at least one provider task. */
  settleTasks: number;
  /** The most provider tasks any one Settle task got: 1 while none was submitted twice. */
  mostProviderTasksPerSettleTask: number;
  mostDownloadsPerProviderTask: number;
  /** Cancel calls received (Replicate). */
  cancels: number;
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
  /** The invariant counters: createTask calls, provider tasks per Settle task, downloads, cancels. */
  log(): SimLog;
  /** The most createTask calls (answered or not) within any `windowMs` span so far. */
  mostCreateCallsInWindow(windowMs: number): number;
  close(): Promise<void>;
}
