import { between, type Random } from './random.js';

/** How a job ends, in the kit's words; each profile names these its own way (KIE `fail`, Replicate `failed`). */
export type Ending = 'success' | 'fail' | 'abort' | 'cancel';
export type Planned = Exclude<Ending, 'cancel'> | 'hang';

/** A job on the clock: its state is read from the time since it was created, unless it was forced to an end. */
export interface Clocked {
  createdAt: number;
  durationMs: number;
  planned: Planned;
  forced?: { ending: Ending; at: number };
}

export interface Plan {
  durationMs: number;
  planned: Planned;
  /** Which of the profile's failure kinds a failing job reports. */
  failureIndex: number;
  lostCallback: boolean;
}

export interface PlanRates {
  durationMs: [number, number];
  failRate: number;
  hangRate: number;
  abortRate?: number;
  lostCallbackRate: number;
}

/** Always four draws, whatever the knobs say, so a seed maps each accepted submission to the same plan. */
export function planJob(random: Random, rates: PlanRates, failureKinds: number): Plan {
  const [outcomeDraw, lostDraw, failureDraw] = [random(), random(), random()];
  const durationMs = between(random, rates.durationMs[0], rates.durationMs[1]);
  let planned: Planned = 'success';
  if (outcomeDraw < rates.failRate) planned = 'fail';
  else if (outcomeDraw < rates.failRate + rates.hangRate) planned = 'hang';
  else if (outcomeDraw < rates.failRate + rates.hangRate + (rates.abortRate ?? 0)) planned = 'abort';
  const failureIndex = Math.floor(failureDraw * failureKinds);
  return { durationMs, planned, failureIndex, lostCallback: lostDraw < rates.lostCallbackRate };
}

export interface ClockReading {
  /** Set once the job has ended. */
  ending?: Ending;
  completedAt?: number;
  /** Elapsed time as a share of the planned duration (past 1 for a hanging job). */
  share: number;
  /** 1..99 while running, 100 once ended. */
  progress: number;
}

export function readClock(job: Clocked, now: number): ClockReading {
  if (job.forced) return { ending: job.forced.ending, completedAt: job.forced.at, share: 1, progress: 100 };
  const elapsed = now - job.createdAt;
  if (job.planned !== 'hang' && elapsed >= job.durationMs) {
    return { ending: job.planned, completedAt: job.createdAt + job.durationMs, share: 1, progress: 100 };
  }
  const share = job.durationMs === 0 ? 0 : elapsed / job.durationMs;
  return { share, progress: Math.min(99, Math.max(1, Math.round(share * 100))) };
}
